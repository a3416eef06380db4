// Vite reads this file as ESM (.mts): the package itself is not "type": "module", because
// that would switch Vite 8 to Node's CommonJS interop, under which default imports of
// Atlaskit's CommonJS icon modules become objects and crash React in the production build.
/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The dev server needs what the strict policy in index.html refuses: React's refresh preamble
// (an inline script), the HMR websocket and the dev client's blob worker. Only `vite serve` gets them.
function devCsp(): Plugin {
  return {
    name: 'idpsync-dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html
        .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* http://localhost:*; worker-src 'self' blob:");
    },
  };
}

// Vite empties dist/ before each build; the Go side embeds frontend/dist and needs the
// committed placeholder to exist on a fresh clone, so put it back.
function keepGitkeep(): Plugin {
  return {
    name: 'idpsync-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(fileURLToPath(new URL('./dist/.gitkeep', import.meta.url)), '');
    },
  };
}

export default defineConfig({
  plugins: [react(), devCsp(), keepGitkeep()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    // One worker and one jsdom for all files instead of a fresh process, jsdom and Atlaskit
    // import per file: those were 39 of the 49 s (environment 18.75 s, import 20.63 s for 16
    // files); 46 → 15 CPU-s. src/test/setup.ts resets our own modules before each file, and
    // its afterEach empties the DOM, the hash and localStorage, so files still start clean.
    // pool 'threads' changed nothing (52 CPU-s); 'vmThreads' with one worker (2 cores) ran
    // every file in one context and leaked mocks across them (25 failures).
    isolate: false,
    // jsdom plus Atlaskit renders slowly on a busy 2-core machine; a hung test still fails.
    testTimeout: 30_000,
  },
});

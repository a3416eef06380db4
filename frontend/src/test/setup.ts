import '@testing-library/jest-dom/vitest';
import { cleanup, configure, getConfig } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// The test files share one worker and one jsdom (vite.config.mts: isolate false), so each file
// starts from a fresh graph of our own modules: this setup runs before every file, and without
// it a module first evaluated under one file's vi.mock factory (the Wails bindings) would keep
// that file's mock for the next (20 of 73 tests failed so). Mock registrations are already per
// file; node_modules (React, Atlaskit, jsdom) stay loaded, which is the time saved.
vi.resetModules();

// Testing Library's configuration is state in node_modules too: a file that changed it would
// change it for every file after them. Each file starts from the configuration the first file
// saw, as it did in a process of its own.
// asyncUtilTimeout, the bound of every findBy and waitFor, is 10 s for all files: a safety net
// that fails what never appears, not a verdict on speed (each returns as soon as its element is
// there). Testing Library's 1 s, which most files had, and the 5 s four files raised it to were
// verdicts on how fast jsdom and Atlaskit render on a loaded 2-core machine beside Chromium.
const shared = globalThis as { rtlStartConfig?: ReturnType<typeof getConfig> };
shared.rtlStartConfig ??= { ...getConfig(), asyncUtilTimeout: 10_000 };
configure(shared.rtlStartConfig);

afterEach(() => {
  cleanup();
  window.location.hash = '';
  window.localStorage.clear();
});

// jsdom has no matchMedia; the design tokens read it to follow the OS colour scheme.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

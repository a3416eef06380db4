// End-to-end runner: drives the real app (the Go backend behind the dev server of a Wails dev
// build) in Debian's Chromium through playwright-core. build/scripts/e2e.sh starts the app and calls this.
// Usage: node e2e/run.mjs [scenario-name ...]   (no names: all scenarios)
// Env: E2E_URL (the app's dev server), E2E_OUT (screenshots), E2E_DATADIR (IDPSYNC_HOME of the app).
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { scenarios } from './scenarios/index.mjs';

const url = process.env.E2E_URL ?? 'http://localhost:34115/';
const out = process.env.E2E_OUT ?? mkdtempSync(join(tmpdir(), 'idpsync-e2e-'));
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(out, { recursive: true });

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !scenarios.some((s) => s.name === n));
if (unknown.length) {
  console.error(`e2e: unknown scenario(s): ${unknown.join(', ')}`);
  process.exit(2);
}
// A scenario marked separate needs its own backend (filterl.mjs: the L tenant) and runs only by name.
const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios.filter((s) => !s.separate);

// A fresh browser per run and a fresh context (storage, clock) per scenario: nothing is read from
// $HOME, and no browser state leaks between runs or scenarios. The scenarios share the app's
// (the backend's) state only, which is what their order is about.
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

let passed = 0;
let failed = 0;
for (const s of selected) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // A scenario marked clock waits for the page's own timers (a flag that goes after 8 s): its
  // page runs on Playwright's fake clock, which flows as real time until the scenario jumps it
  // (page.clock.fastForward), firing what falls due, as the app would after the wait.
  if (s.clock) await context.clock.install();
  const page = await context.newPage();
  const problems = [];
  const consoleErrors = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) problems.push(`CSP: ${m.text()}`);
    if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 500));
  });
  const started = Date.now();
  const shot = (name) => page.screenshot({ path: join(out, `${s.name}-${name}.png`) });
  try {
    await s.run({ page, url, shot, env: { dataDir: process.env.E2E_DATADIR ?? '' } });
    if (problems.length) throw new Error(problems.join('\n'));
    await shot('end');
    passed++;
    console.log(`  ok   ${s.name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    await page.screenshot({ path: join(out, `${s.name}-failed.png`) }).catch(() => {});
    console.log(`  FAIL ${s.name} (${Date.now() - started} ms)\n       ${String(e?.stack ?? e).split('\n').join('\n       ')}`);
    // What the page itself complained about is often the real cause.
    for (const line of [...problems, ...consoleErrors.slice(-5)]) console.log(`       page: ${line}`);
  }
  await context.close();
}
await browser.close();

console.log(`e2e: ${passed} passed, ${failed} failed (screenshots in ${out})`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

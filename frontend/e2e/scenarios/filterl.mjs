// Issue 15's browser figure: the preview and report tables of scenario L (100,000 users, 10,000
// groups, ~2.87 M flattened memberships) filter as the admin types. The app runs on the demo
// tenant at L (IDPSYNC_DEMO_SIZE=L, its directory set up at start) and previews it through the
// real backend; the preview's table and the preview run's report (the report screen) are the
// shipped OperationsPanel paging through report.View. The time from keystroke to rendered rows is
// read from performance marks in Chromium and printed, never asserted (a figure, not a timed test).
// Separate: it needs its own backend; build/scripts/test.sh runs it as its own e2e step.
import { expectEqual, expectMatch } from './expect.mjs';

const keystrokes = 20;

// Types half the keystrokes of word into the search box one at a time, then deletes them, and
// returns each keystroke's time in ms: from a mark at the input's keydown to the mark usePaged
// makes once the first rows of that filter are committed (frontend/src/features/common/PagedList.tsx).
// The 150 ms debounce of the search box is part of the figure: it is what the admin waits.
async function filterTimes(page, searchId, word) {
  const box = page.getByTestId(searchId);
  await box.click();
  await box.evaluate((el) => {
    el.addEventListener('keydown', () => performance.mark('idpsync:key'), { capture: true });
  });
  const keys = [...word.slice(0, keystrokes / 2)];
  const sequence = [...keys, ...keys.map(() => 'Backspace')];
  let q = '';
  const times = [];
  for (const k of sequence) {
    q = k === 'Backspace' ? q.slice(0, -1) : q + k;
    const since = await page.evaluate(() => performance.now());
    await page.keyboard.press(k);
    const ms = await page.waitForFunction(
      ([q, since]) => {
        const key = performance.getEntriesByName('idpsync:key').find((e) => e.startTime >= since);
        const rows = key && performance.getEntriesByName('idpsync:rows').find((e) => e.startTime > key.startTime && String(e.detail).includes(`|${q}|`));
        return rows ? rows.startTime - key.startTime : false;
      },
      [q, since],
      { timeout: 120000, polling: 20 },
    );
    times.push(await ms.jsonValue());
  }
  expectEqual(await box.inputValue(), '', 'search box after the deletes');
  return times;
}

function figure(what, times, total) {
  const s = [...times].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  console.log(`e2e: filter L ${what}: median ${Math.round(median)} ms over ${s.length} keystrokes (p95 ${Math.round(at(0.95))} ms, max ${Math.round(s[s.length - 1])} ms; ${total})`);
}

// What the admin types: the first 10 characters of the first row's name (the plan starts with its
// groups, "Engineering 0"…), blanks dropped (the search trims them).
async function wordOfFirstRow(page) {
  const name = (await page.getByTestId('ops-list').getByTestId('op-row').first().locator('.op-object').textContent()) ?? '';
  const word = name.replace(/\s+/g, '').slice(0, keystrokes / 2).toLowerCase();
  if (word.length < keystrokes / 2) throw new Error(`the first row's name ${JSON.stringify(name)} is shorter than ${keystrokes / 2} characters`);
  return word;
}

export const filterL = [
  {
    name: 'filter-l-preview-and-report',
    separate: true,
    async run({ page, url, shot }) {
      await page.goto(url + '#/identity-providers', { waitUntil: 'domcontentloaded' });
      await page.getByTestId('idp-table').getByRole('button', { name: 'Demo (emulated)' }).click();
      await page.getByTestId('status-panel').waitFor();
      const t0 = Date.now();
      await page.getByTestId('preview-changes').click();
      await page.getByTestId('preview').waitFor({ timeout: 900000 });
      await page.getByTestId('ops-list').getByTestId('op-row').first().waitFor({ timeout: 120000 });
      const total = (await page.getByTestId('ops-total').textContent())?.trim() ?? '';
      // The whole L plan: users and ~2.87 M memberships to add.
      expectMatch(total, /^[1-9]\d{0,2}(,\d{3}){2,}\b/, 'L preview changes');
      console.log(`e2e: L preview made in ${Math.round((Date.now() - t0) / 1000)} s (${total})`);
      const word = await wordOfFirstRow(page);
      figure('preview', await filterTimes(page, 'ops-search', word), total);
      await shot('preview');

      await page.getByTestId('tab-history').click();
      await page.getByTestId('history-table').locator('[data-testid^="history-preview"]').first().getByTestId('history-report').click();
      await page.getByTestId('report-view').waitFor();
      await page.getByTestId('ops-list').getByTestId('op-row').first().waitFor({ timeout: 120000 });
      const reportTotal = (await page.getByTestId('ops-total').textContent())?.trim() ?? '';
      expectEqual(reportTotal, total, 'the report lists what the preview did');
      figure('report', await filterTimes(page, 'ops-search', word), reportTotal);
      await shot('report');
    },
  },
];

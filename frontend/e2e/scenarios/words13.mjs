// Issue 13 points 2 and 8 as the admin reads them, through the real backend in demo mode: the
// words of each state (singular and plural, phase names, an empty plan, a sync's duration, a
// taken-over group) and left-out rows whose name, email and reason are on screen, not only in
// the page's text (on 4d2e2e2 the left-out list shrank to its 170 px type column: every row read
// "user"). words13First runs before admin.mjs (the demo's Atlassian directory then holds only the
// hand-made account); words13 runs after it, on the directory it synced.
import { conflictNames, dirName, open, openDirectory, syncNow, toAtlassianStep } from './admin.mjs';
import { expectEqual, expectMatch } from './expect.mjs';

// A count's words must follow the count: "1 user", never "1 users".
function expectSingular(text, noun, what) {
  if (new RegExp(`(^|[^\\d,.])1 ${noun}s\\b`).test(text)) throw new Error(`${what}: "1 ${noun}s" in ${JSON.stringify(text)}`);
  expectMatch(text, new RegExp(`(^|[^\\d,.])1 ${noun}\\b`), `${what} in the singular`);
}

// A stable code (read_tenant, add_members, domain_not_selected) is not a word the admin reads.
export function expectNoCode(text, what) {
  const code = /\b[a-z]+(_[a-z]+)+\b/.exec(text);
  if (code) throw new Error(`${what}: the code ${code[0]} on screen in ${JSON.stringify(text)}`);
}

// A report's phases line in words with a duration each ("Plan under 1 ms"): no code, no dash.
async function expectPhasesInWords(page, what) {
  const phases = page.getByTestId('report-view').getByText(/^Phases:/);
  await phases.waitFor();
  const ph = (await phases.textContent()) ?? '';
  const wrong = [...new Set(ph.match(/\b[a-z]+(_[a-z]+)+\b/g) ?? [])].map((c) => `the code ${c}`);
  if (/—/.test(ph)) wrong.push('a phase without a duration (—)');
  if (wrong.length) throw new Error(`${what}: ${wrong.join(', ')} on screen in ${JSON.stringify(ph)}`);
  return ph;
}

// Each cell as drawn: its text, the pixels that text needs, and how many of them are on screen
// (the cell's box cut by every ancestor that clips its overflow).
async function cells(row, selectors) {
  const out = {};
  for (const [k, sel] of Object.entries(selectors)) {
    const cell = row.locator(sel).first();
    out[k] = (await cell.count())
      ? await cell.evaluate((el) => {
          const r = el.getBoundingClientRect();
          let [left, right] = [r.left, r.right];
          for (let a = el.parentElement; a; a = a.parentElement) {
            if (getComputedStyle(a).overflowX === 'visible') continue;
            const ar = a.getBoundingClientRect();
            [left, right] = [Math.max(left, ar.left), Math.min(right, ar.right)];
          }
          return { text: (el.textContent ?? '').trim(), shown: Math.round(Math.max(0, right - left)), need: Math.max(el.scrollWidth, Math.round(r.width)) };
        })
      : { text: '', shown: 0, need: 0 };
  }
  return out;
}

// Left-out rows: who (a name, and an email for a user) and why (in words), each readable on
// screen: the whole text, or at least 120 px of it (a long email may end in an ellipsis, with the
// whole in its tooltip and the detail). Checks the first rows the list draws, at least one.
async function expectLeftOutRowsRead(list, rowSel, cellSel, where) {
  const rows = list.locator(rowSel);
  await rows.first().waitFor({ timeout: 30000 });
  const n = Math.min(await rows.count(), 8);
  const seen = [];
  for (let i = 0; i < n; i++) {
    const c = await cells(rows.nth(i), cellSel);
    seen.push(c);
    const at = `left-out row ${i + 1} of ${where} (${JSON.stringify(c)})`;
    for (const k of ['name', 'reason']) {
      if (!c[k].text) throw new Error(`${at}: no ${k}`);
      if (c[k].shown < Math.min(c[k].need, 120)) throw new Error(`${at}: the ${k} "${c[k].text}" is drawn in ${c[k].shown} of the ${c[k].need} px it needs`);
    }
    if (/^(user|group|member)$/i.test(c.name.text)) throw new Error(`${at}: the name is the type`);
    expectMatch(c.reason.text, /^[A-Z][a-z]+ [a-z]/, `${at}: reason in words`);
    expectNoCode(c.reason.text, at);
    if (/^user$/i.test(c.type.text)) {
      expectMatch(c.email.text, /\S@\S/, `${at}: a user's email`);
      if (c.email.shown < Math.min(c.email.need, 120)) throw new Error(`${at}: the email is drawn in ${c.email.shown} of the ${c.email.need} px it needs`);
    }
  }
  return seen;
}

// The cells of main's left-out rows (OperationsPanel: skip-row around SkipLine).
const skipCells = { name: '[data-testid="skip-name"]', email: '[data-testid="skip-email"]', type: '[data-testid="skip-type"]', reason: '[data-testid="skip-reason"]' };

// Confirms the open dialog, with the thresholds' overrides where the plan crosses them.
async function confirmSync(page, dialog) {
  await dialog.getByText(/I confirm that/).click();
  for (const [id, tick] of [
    ['confirm-threshold', /Deactivate them anyway/],
    ['confirm-removal-threshold', /Remove them anyway/],
  ]) {
    if (await dialog.getByTestId(id).count()) await dialog.getByText(tick).click();
  }
  await dialog.getByTestId('confirm-sync').click();
  const result = page.getByTestId('sync-result');
  await result.waitFor({ timeout: 180000 });
  return result;
}

// The first group (top level or below) with exactly one subgroup, from the backend the picker reads.
async function groupWithOneSubgroup(page) {
  return page.evaluate(async (name) => {
    const svc = window.go.app.DirectoryService;
    const d = (await svc.List()).find((x) => x.name === name);
    const queue = [''];
    while (queue.length) {
      const parentId = queue.shift();
      const p = await svc.Groups(d.id, { parentId, search: '', offset: 0, limit: 500 });
      for (const g of p.groups ?? []) {
        if (g.subgroups === 1) return g.displayName;
        if (g.subgroups > 1) queue.push(g.id);
      }
    }
    return '';
  }, dirName);
}

export const words13First = [
  {
    // The demo's Atlassian directory holds one account (made by hand) before any sync.
    name: 'words-one-user-in-the-atlassian-directory',
    async run({ page, url, shot }) {
      await toAtlassianStep(page, url, 'Words');
      await page.getByTestId('test-connection').click();
      const key = page.getByTestId('check-scimKey');
      await key.waitFor({ timeout: 30000 });
      expectEqual(await key.getAttribute('data-state'), 'ok', 'SCIM key part');
      expectSingular(await key.textContent(), 'user', 'the directory API key check');
      await shot('one-user');
    },
  },
];

export const words13 = [
  {
    // The last sync (preview-conflicts-confirm-and-sync) took one conflict group over.
    name: 'words-in-the-last-sync-report',
    async run({ page, url, shot }) {
      await open(page, url, 'sync-history');
      const [c1] = await conflictNames(page);
      await page.getByTestId('history-table').waitFor();
      await page.getByTestId('history-report').first().click();
      await page.getByTestId('report-view').waitFor();
      const chart = page.getByTestId('report-chart');
      await chart.waitFor({ timeout: 30000 });
      // Phases in words ("Read Entra ID 1 s · Add memberships 3 s"), never read_tenant, add_members.
      const ph = await expectPhasesInWords(page, 'the last sync report');
      expectMatch(ph, /Add memberships/, 'the report phases in words');
      // The taken-over group reads "Take over group", as the counts' "Groups taken over" (not "Adopt group").
      expectMatch(await chart.textContent(), /Take over group/, 'the chart row of the group taken over');
      expectEqual(await page.getByText('Adopt group').count(), 0, '"Adopt group" on the report');
      await page.getByTestId('ops-search').fill(c1);
      const row = page.getByTestId('ops-list').getByTestId('op-row').filter({ hasText: 'Take over group' }).first();
      await row.waitFor({ timeout: 20000 });
      expectMatch(await row.textContent(), new RegExp(`Take over group.*${c1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the take-over row');
      await shot('report-words');
      // The report's left-out list: who and why on every row.
      await page.getByTestId('tab-skips').click();
      await expectLeftOutRowsRead(page.getByTestId('skips-list'), '[data-testid="skip-row"]', skipCells, 'the report');
      await shot('report-left-out');
    },
  },
  {
    // A group with one subgroup says "1 subgroup".
    name: 'words-one-subgroup',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const g = await groupWithOneSubgroup(page);
      if (!g) throw new Error('the demo tenant has no group with exactly one subgroup');
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('group-tree').waitFor({ timeout: 60000 });
      await page.getByTestId('group-search').fill(g);
      const row = page.getByTestId('group-tree').getByTestId('group-row').filter({ has: page.getByRole('checkbox', { name: g, exact: true }) });
      const count = row.first().getByText(/subgroup/);
      await count.waitFor({ timeout: 20000 });
      expectSingular(await count.textContent(), 'subgroup', `the group ${g}`);
      await shot('one-subgroup');
    },
  },
  {
    // Sync what is left, then: a preview with nothing to change, and a sync of it, in words.
    name: 'words-nothing-to-change',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      let result = await confirmSync(page, await syncNow(page));
      expectEqual(await result.getAttribute('data-status'), 'succeeded', 'the catch-up sync');
      await page.getByTestId('preview-changes').click();
      await page.getByTestId('preview').waitFor({ timeout: 120000 });
      // The empty plan says so (it said "No change matches.", as for a search without a match).
      await page.getByText('Nothing to change: Atlassian already matches Entra ID for this scope.').waitFor({ timeout: 20000 });
      expectEqual(await page.getByText('No change matches.').count(), 0, '"No change matches." for an empty plan');
      expectEqual((await page.getByTestId('ops-total').textContent())?.trim(), '0 changes', 'the empty plan total');
      await shot('nothing-to-change');
      // Its left-out list: who and why on every row.
      await page.getByTestId('tab-skips').click();
      await expectLeftOutRowsRead(page.getByTestId('skips-list'), '[data-testid="skip-row"]', skipCells, 'the preview');
      await shot('left-out');
      // The sync of an empty plan ends within a millisecond: its line says what was made, and no
      // "Took —." (a duration under 1 ms was a dash).
      await page.getByTestId('tab-ops').click();
      result = await confirmSync(page, await syncNow(page));
      expectEqual(await result.getAttribute('data-status'), 'succeeded', 'the empty sync');
      const line = (await result.locator('p').first().textContent()) ?? '';
      if (/—/.test(line)) throw new Error(`the empty sync's line has a dash: ${JSON.stringify(line)}`);
      expectMatch(line, /^Succeeded\s*0 of 0 changes made( in [^—]+)?\.$/, "the empty sync's line");
      await shot('empty-sync');
      // Its report: a duration and phases in words, none a dash.
      await result.getByTestId('result-report').click();
      await page.getByTestId('report-view').waitFor();
      const took = page.getByTestId('report-view').locator('dt:text-is("Duration") + dd');
      await took.waitFor({ timeout: 30000 });
      expectMatch((await took.textContent())?.trim(), /^(under 1 ms|\d+ ms|\d+ s|\d+ min \d+ s)$/, "the empty sync's duration");
      await expectPhasesInWords(page, "the empty sync's report");
      await shot('empty-sync-report');
    },
  },
];

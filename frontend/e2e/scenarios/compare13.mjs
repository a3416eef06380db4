// Issue 13 point 8, "codes in the comparison (`domain_not_selected → no`)", as the admin reads it
// through the real backend in demo mode: two previews of admin.mjs's directory, the first with
// the tenant's default email domain unticked (its users left out as domain_not_selected), the
// second with it ticked again; the second's report compared with the first. On 4d2e2e2 each row
// read "left out: domain_not_selected → no". Runs after status13 and puts the settings back.
import { dirName, open, openDirectory } from './admin.mjs';
import { expectEqual, expectMatch } from './expect.mjs';
import { expectNoCode } from './words13.mjs';

// The directory's settings, its domains, its runs (newest first), or new settings, through the
// backend calls the screens make (the app's CSP allows no eval, so each call is named here).
async function onDirectory(page, op, arg) {
  return page.evaluate(
    async ([name, op, arg]) => {
      const d = (await window.go.app.DirectoryService.List()).find((x) => x.name === name);
      switch (op) {
        case 'settings':
          return window.go.app.DirectoryService.SyncSettings(d.id);
        case 'domains':
          return window.go.app.DirectoryService.Domains(d.id);
        case 'save':
          return window.go.app.DirectoryService.SaveSettings(d.id, arg);
        case 'runs':
          return ((await window.go.app.SyncService.History(d.id, 50)) ?? []).map((r) => ({ id: r.run.runId, kind: r.run.kind, report: !!r.run.reportPath }));
      }
      throw new Error(`unknown call ${op}`);
    },
    [dirName, op, arg],
  );
}

// A user the run's report leaves out as domain_not_selected (the backend's data, read to pick
// whom to look at), one whose email no other such user shares in another letter case: of case
// twins (internal/emulator/tenant) one is left out as a duplicate once the domain is ticked.
async function userLeftOutForDomain(page, runId, domain) {
  return page.evaluate(
    async ([runId, domain]) => {
      const svc = window.go.app.ReportService;
      const h = await svc.OpenRun(runId);
      try {
        const page = await svc.Skips(h.id, { text: `@${domain}`, offset: 0, limit: 1000 });
        const mine = (page.rows ?? []).filter((s) => s.reason === 'domain_not_selected' && s.object.email);
        const seen = new Map();
        for (const s of mine) seen.set(s.object.email.toLowerCase(), (seen.get(s.object.email.toLowerCase()) ?? 0) + 1);
        const u = mine.find((s) => seen.get(s.object.email.toLowerCase()) === 1);
        return u ? { name: u.object.name, email: u.object.email } : null;
      } finally {
        await svc.Forget(h.id);
      }
    },
    [runId, domain],
  );
}

// A comparison row's line of differences, and its object's name.
async function diffLine(row) {
  return { name: ((await row.locator('strong').first().textContent()) ?? '').trim(), line: ((await row.locator('div.small').first().textContent()) ?? '').trim() };
}

// A comparison line in words: no code (domain_not_selected), no "no" for in scope, no result code.
function expectDiffInWords({ name, line }, what) {
  const at = `${what} (${name})`;
  expectNoCode(line, at);
  if (/→ no\b|\bno →/.test(line)) throw new Error(`${at}: "no" for in scope in ${JSON.stringify(line)}`);
  if (/\bsucceeded\b/.test(line)) throw new Error(`${at}: the result code succeeded in ${JSON.stringify(line)}`);
}

// A preview made from the directory's page (opened anew, so that it reads the saved settings);
// returns its run id, the newest run with a report.
async function preview(page, url) {
  const last = (await onDirectory(page, 'runs'))[0]?.id;
  await page.goto('about:blank');
  await openDirectory(page, url);
  await page.getByTestId('preview-changes').click();
  await page.getByTestId('preview').waitFor({ timeout: 120000 });
  // The run is recorded as the preview ends; up to 10 s for it to be listed.
  let runs = await onDirectory(page, 'runs');
  for (let i = 0; i < 20 && runs[0]?.id === last; i++) {
    await page.waitForTimeout(500);
    runs = await onDirectory(page, 'runs');
  }
  if (runs[0]?.id === last) throw new Error('the preview is not in the history');
  expectEqual(`${runs[0].kind} ${runs[0].report}`, 'preview true', 'the newest run: a preview with a report');
  return runs[0].id;
}

export const compare13 = [
  {
    name: 'compare-says-what-changed-in-words',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const saved = await onDirectory(page, 'settings');
      const domains = (await onDirectory(page, 'domains')).filter((d) => d.selectable);
      const off = domains.find((d) => d.isDefault)?.name;
      // The default domain holds half the demo's users (internal/emulator/tenant: 3 of 6 mail domains).
      if (!off || domains.length < 2) throw new Error(`the demo tenant has no default domain beside another: ${JSON.stringify(domains)}`);
      let words;
      let runA;
      let user;
      try {
        await onDirectory(page, 'save', { ...saved, domainMode: 'specific', domains: domains.map((d) => d.name).filter((n) => n !== off) });
        runA = await preview(page, url);
        user = await userLeftOutForDomain(page, runA, off);
        if (!user) throw new Error(`the preview without ${off} leaves no user out for that domain`);
        // The reason as the preview's left-out list says it, without its detail (the domain).
        await page.getByTestId('tab-skips').click();
        await page.getByTestId('skips-search').fill(user.email);
        const reason = page.getByTestId('skips-list').locator('[data-testid="skip-row"]').filter({ hasText: user.email }).first().locator('[data-testid="skip-reason"]');
        await reason.waitFor({ state: 'attached', timeout: 30000 }); // its drawing is words13's check
        words = ((await reason.textContent()) ?? '').replace(/\s*\(.*\)$/, '').trim();
        expectMatch(words, /^[A-Z][a-z]+ [a-z]/, `the left-out reason of ${user.email}`);
        await shot('left-out');
      } finally {
        await onDirectory(page, 'save', saved);
      }
      const runB = await preview(page, url);
      // The second preview's report, compared with the first: its option in "Compare with:"
      // lists the directory's other runs with a report, newest first.
      await open(page, url, 'sync-history');
      await page.getByTestId('history-table').locator('[data-testid^="history-preview-"]').first().getByTestId('history-report').click();
      await page.getByTestId('report-view').waitFor();
      await page.getByTestId('compare-bar').waitFor({ timeout: 30000 });
      const others = (await onDirectory(page, 'runs')).filter((r) => r.report && r.id !== runB);
      const at = others.findIndex((r) => r.id === runA);
      if (at < 0) throw new Error(`the first preview ${runA} is not among the runs to compare with`);
      await page.getByTestId('compare-bar').getByLabel('Another run').click();
      const option = page.getByRole('option');
      await option.nth(at).waitFor({ timeout: 20000 });
      // In words, with no status code: the old option read "Preview of … (planned)".
      expectMatch(await option.nth(at).textContent(), /^Preview of [^()]+$/, 'the option of the first preview');
      await option.nth(at).click();
      const cmp = page.getByTestId('compare-dialog').getByTestId('comparison');
      await cmp.waitFor({ timeout: 60000 });
      // Both runs named in words: the header read "(preview, planned)", the kind and status codes.
      expectMatch((await cmp.locator('p').first().textContent()) ?? '', /^From .+ \(Preview\) to .+ \(Preview\)\.$/, "the comparison's header");
      const filter = cmp.getByLabel('Filter objects');
      const rows = cmp.locator('.diff-row');
      // The user picked above: left out in the first preview, in scope in the second, in words.
      await filter.fill(user.email);
      const mine = rows.filter({ has: page.locator('strong', { hasText: user.name }) }).first();
      await mine.waitFor({ timeout: 30000 });
      await shot('compare-user');
      const d = await diffLine(mine);
      expectDiffInWords(d, `the comparison row of ${user.email}`);
      const scope = `left out (${words}) → in scope`;
      if (!d.line.includes(scope)) throw new Error(`the comparison row of ${user.email} (${d.name}): ${JSON.stringify(d.line)} does not say "${scope}"`);
      // Every user of the unticked domain the list draws (its first rows), likewise.
      await filter.fill(`@${off}`);
      await page.waitForTimeout(300); // the rows show no email to wait for: let the filtered list draw
      await rows.first().waitFor({ timeout: 30000 });
      await shot('compare');
      const n = Math.min(await rows.count(), 8);
      for (let i = 0; i < n; i++) expectDiffInWords(await diffLine(rows.nth(i)), `comparison row ${i + 1} of the users @${off}`);
    },
  },
];

// Issue 13's status and title points as the admin sees them, through the real backend in demo
// mode. They run after admin.mjs, on its directory (added, signed in, synced), and leave it as
// they found it: signed in, the demo's key, automatic syncing off.
import { dirName, open, openDirectory, syncNow } from './admin.mjs';
import { expectEqual, expectMatch } from './expect.mjs';

// One backend call on the directory named dirName, made in the page (the app's CSP allows no
// eval, so the calls are named here): its Atlassian key (as the Connection tab saves it, with
// the admin's "Save anyway" for a key Atlassian refuses, every other field the directory's own so
// that the sign-in tenant and endpoints stay), automatic syncing on or off, or a sign-out.
async function onDirectory(page, op, arg) {
  return page.evaluate(
    async ([name, op, arg]) => {
      const svc = window.go.app.DirectoryService;
      const d = (await svc.List()).find((x) => x.name === name);
      switch (op) {
        case 'key':
          return svc.Update(d.id, {
            name: d.name, cloud: d.cloud, clientId: d.clientId, scimBaseUrl: d.scimBaseUrl, orgId: d.orgId ?? '', allowCustomHost: d.allowCustomHost,
            graphUrl: d.graphUrl, authorityUrl: d.authorityUrl, orgUrl: d.orgUrl, signInTenant: d.signInTenant, scimApiKey: arg, saveUntested: true,
          });
        case 'autoSync':
          return svc.SaveSettings(d.id, { ...(await svc.SyncSettings(d.id)), autoSync: arg, autoIntervalMinutes: 240 });
        case 'signOut':
          return svc.SignOut(d.id);
      }
      throw new Error(`unknown call ${op}`);
    },
    [dirName, op, arg],
  );
}

async function demoKey(page) {
  return (await page.evaluate(() => window.go.app.DirectoryService.DemoDefaults())).scimApiKey;
}

// The confirmation dialog ticked (the tenant, and any "for this sync only" threshold override),
// then Sync; returns the result panel once the sync ended.
async function confirmSync(page, dialog) {
  await dialog.getByText(/I confirm that/).click();
  const overrides = dialog.getByText(/for this sync only/);
  for (let i = 0; i < (await overrides.count()); i++) await overrides.nth(i).click();
  await dialog.getByTestId('confirm-sync').click();
  const result = page.getByTestId('sync-result');
  await result.waitFor({ timeout: 120000 });
  return result;
}

// The boxes (x,y,w,h, whole pixels) of the elements with these test ids, taken in the first
// animation frame in which the element \`when\` is on the page: one frame, so that a fast preview
// cannot end between the notice appearing and the measure (issue13-table.md: a check that
// measured button by button, awaiting each, passed on old code).
async function boxesWhen(page, ids, when) {
  const handle = await page.waitForFunction(
    ([ids, when]) => {
      if (when && !document.querySelector(`[data-testid="${when}"]`)) return null;
      const out = {};
      for (const id of ids) {
        const r = document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect();
        out[id] = r && r.width > 0 ? [r.x, r.y, r.width, r.height].map(Math.round).join(',') : null;
      }
      return out;
    },
    [ids, when],
    { polling: 'raf', timeout: 60000 },
  );
  return handle.jsonValue();
}

// The app opened again at path: a page load, not a hash change (which the old screens could ignore).
async function reopen(page, url, path) {
  await page.goto('about:blank');
  await open(page, url, path);
}

async function reopenDirectory(page, url) {
  await page.goto('about:blank');
  await openDirectory(page, url);
}

// The overview's "Next sync" value (a dt/dd pair of the status panel).
const nextSync = (page) => page.getByTestId('status-panel').locator('dt:text-is("Next sync") + dd');
const dateTime = /\d{4}.*\d{1,2}:\d{2}/;

export const status13 = [
  {
    // Issue 13 point 3: "a red 'preview could not be made' banner sits above a green 'Sync
    // complete' panel". A sync succeeds; then Atlassian refuses the key and Sync now's preview
    // fails. Wherever the admin looks, the error and a green "Sync complete" are not both on screen.
    name: 'failed-preview-after-a-sync-is-one-state',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const result = await confirmSync(page, await syncNow(page));
      expectEqual(await result.getAttribute('data-status'), 'succeeded', 'sync result');
      expectMatch(await result.textContent(), /Sync complete/, 'result title');
      const good = await demoKey(page);
      await onDirectory(page, 'key', 'revoked-in-admin-atlassian');
      try {
        await page.getByTestId('sync-now').click();
        const error = page.getByTestId('preview-error');
        await error.waitFor({ timeout: 120000 });
        expectMatch(await error.textContent(), /The preview could not be made/, 'preview error');
        await shot('preview-failed');
        const complete = page.getByTestId('sync-result').filter({ hasText: 'Sync complete' });
        expectEqual(await complete.isVisible(), false, '"Sync complete" on screen beside "The preview could not be made"');
        // The overview: the last sync's result, without the preview's error over it.
        await page.getByTestId('tab-overview').click();
        await page.getByTestId('status-panel').waitFor();
        await shot('preview-failed-overview');
        if ((await complete.isVisible()) && (await error.isVisible())) throw new Error('the overview shows "The preview could not be made" above "Sync complete"');
      } finally {
        await onDirectory(page, 'key', good);
      }
    },
  },
  {
    // Issue 13 point 3: "after a restart it says 'Sync enabled' with a next-sync time while the
    // directory is 'Not signed in'". Automatic syncing on, a sync done (the scenario above), then
    // the Microsoft sign-in gone (as after a restart that lost it) and the app opened again.
    name: 'not-signed-in-after-restart-says-so',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      await onDirectory(page, 'autoSync', true);
      let failure;
      try {
        await reopenDirectory(page, url);
        const status = page.getByTestId('status-panel').getByTestId('directory-status');
        // Signed in: enabled, and the next sync 240 min after the last one.
        await status.filter({ hasText: 'Sync enabled' }).waitFor({ timeout: 10000 });
        expectMatch(await nextSync(page).textContent(), dateTime, 'next sync while signed in');
        await onDirectory(page, 'signOut');
        await reopen(page, url, 'identity-providers');
        const row = page.getByTestId('idp-table').locator('[data-testid^="idp-row-"]').filter({ hasText: dirName });
        await row.waitFor();
        await shot('list-not-signed-in');
        const rowText = (await row.textContent()) ?? '';
        if (/Sync enabled/.test(rowText) || !/Not signed in/.test(rowText)) throw new Error(`directory list row while not signed in: ${JSON.stringify(rowText)}`);
        await row.getByRole('button', { name: dirName }).click();
        await page.getByTestId('status-panel').waitFor();
        await page.getByTestId('signin-microsoft').first().waitFor(); // the account was read: none
        await shot('overview-not-signed-in');
        const overview = `status "${(await status.textContent())?.trim()}", next sync "${(await nextSync(page).textContent())?.trim()}"`;
        if (!/^status "Not signed in"/.test(overview) || dateTime.test(overview)) throw new Error(`overview while not signed in: ${overview}`);
      } catch (e) {
        failure = e;
      }
      // Put back for the scenarios after this one: automatic syncing off, signed in through the
      // real MSAL flow. A failure here is reported after the scenario's own.
      try {
        await onDirectory(page, 'autoSync', false);
        await reopenDirectory(page, url);
        const signIn = page.getByTestId('signin-microsoft').first();
        const account = page.getByTestId('status-panel').getByText('admin@', { exact: false });
        await signIn.or(account).first().waitFor();
        if (await signIn.isVisible()) await signIn.click();
        await account.waitFor({ timeout: 60000 });
      } catch (e) {
        throw failure ?? e;
      }
      if (failure) throw failure;
    },
  },
  {
    // Issue 13 point 7, "buttons jump when a phase row or a warning appears", for the preview's
    // notice: "Reading Entra ID and Atlassian…" appears while the preview is made. The tab list
    // and the page's buttons stay where they were on the overview (it pushed them 80 px down).
    name: 'preview-notice-moves-no-tab',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const fixed = ['preview-changes', 'sync-now', 'tab-overview', 'tab-settings', 'tab-preview', 'tab-history', 'tab-troubleshooting', 'tab-connection'];
      const before = await boxesWhen(page, fixed, '');
      await page.getByTestId('preview-changes').click();
      const during = await boxesWhen(page, fixed, 'previewing');
      await shot('previewing-tabs-in-place');
      for (const id of fixed) {
        if (!before[id] || before[id] !== during[id]) throw new Error(`the preview notice: ${id} moved from ${before[id]} to ${during[id]} (x,y,w,h)`);
      }
      await page.getByTestId('preview').waitFor({ timeout: 120000 });
    },
  },
  {
    // Issue 13 point 5: "the report page shows 'Sync report' twice". Counted as the admin reads
    // it: the headings (any level) that say "Sync report", once the report has loaded.
    name: 'report-says-sync-report-once',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      await page.getByTestId('tab-history').click();
      // The latest sync's report (the history's first rows are the previews of the scenarios above).
      await page.getByTestId('history-table').locator('[data-testid^="history-apply-succeeded"]').first().getByTestId('history-report').click();
      await page.getByTestId('report-view').waitFor();
      await page.getByTestId('export-bar').waitFor();
      await shot('report-title');
      const titles = await page.getByRole('heading', { name: /^\s*Sync report\b/ }).allTextContents();
      expectEqual(titles.length, 1, `headings saying Sync report (${JSON.stringify(titles)})`);
    },
  },
];

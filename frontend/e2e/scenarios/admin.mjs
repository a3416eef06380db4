// The admin screens end to end, in demo mode (IDPSYNC_DEMO=1): the real Go backend, MSAL,
// Graph reader and SCIM client against the loopback emulators. The scenarios run in this order
// and share the app's state: the first adds the directory the others use.
import { expectEqual, expectMatch } from './expect.mjs';

export const dirName = 'E2E <b>Contoso</b>'; // shown as text, never as HTML

export async function open(page, url, path = '') {
  await page.goto(url + (path ? `#/${path}` : ''), { waitUntil: 'domcontentloaded' });
  await page.getByTestId('top-bar').waitFor();
}

export async function openDirectory(page, url) {
  await open(page, url, 'identity-providers');
  await page.getByTestId('idp-table').getByRole('button', { name: dirName }).click();
  await page.getByTestId('status-panel').waitFor();
}

// Walks the add flow up to the Atlassian step, with the demo's values filled in.
export async function toAtlassianStep(page, url, name) {
  await open(page, url, 'identity-providers');
  await page.getByTestId('add-idp').first().click();
  await page.getByTestId('provider-azure').click();
  await page.getByTestId('dir-name').fill(name);
  await page.getByTestId('name-next').click();
  await page.getByTestId('add-step-atlassian').waitFor();
  await page.getByTestId('fill-demo').click();
}

export async function conflictNames(page) {
  const d = await page.evaluate(() => window.go.app.DirectoryService.DemoDefaults());
  if (!d.demo || !d.conflictGroups || d.conflictGroups.length < 2) throw new Error(`demo mode is off or has no conflict groups: ${JSON.stringify(d)}`);
  return d.conflictGroups;
}

export async function setConcurrency(page, n) {
  await page.evaluate(
    async ([name, n]) => {
      const svc = window.go.app.DirectoryService;
      const d = (await svc.List()).find((x) => x.name === name);
      const s = await svc.SyncSettings(d.id);
      await svc.SaveSettings(d.id, { ...s, concurrency: n });
    },
    [dirName, n],
  );
}

// The on-screen boxes of buttons, by test id, rounded to whole pixels.
async function buttonBoxes(page, ids) {
  const out = {};
  for (const id of ids) {
    const b = await page.getByTestId(id).first().boundingBox();
    out[id] = b && [b.x, b.y, b.width, b.height].map(Math.round).join(',');
  }
  return out;
}

// No layout jump: every button is where it was (issue 13: buttons jumped when a phase row or a
// warning appeared). A button missing from either measure fails too.
function expectNoJump(before, after, what) {
  for (const id of Object.keys(before)) {
    if (!before[id] || before[id] !== after[id]) throw new Error(`${what}: ${id} moved from ${before[id]} to ${after[id]} (x,y,w,h)`);
  }
}

// Sync now: preview, then the confirmation dialog; returns the dialog.
export async function syncNow(page) {
  await page.getByTestId('sync-now').click();
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.waitFor({ timeout: 120000 });
  return dialog;
}

// The result panel of a sync that ended, with its screenshot: the demo's largest sync, slowed
// by IDPSYNC_DEMO_LATENCY, takes up to 2 minutes on the loaded machine. status is the outcome
// the scenario expects (data-status: succeeded, canceled…).
async function syncEnded(page, shot, name, status, what) {
  const result = page.getByTestId('sync-result');
  await result.waitFor({ timeout: 120000 });
  await shot(name);
  expectEqual(await result.getAttribute('data-status'), status, what);
  return result;
}

// An info or success flag goes by itself after 8 s (frontend/src/lib/flags.tsx autoDismissMs) of
// the page's time. The scenario's page runs on the fake clock (run.mjs: clock), so the 8 s are
// jumped instead of waited (the flag's timer fires then, as after the wait); its exit then
// takes a few hundred ms of real time. The 30 s bound (Playwright's default) is a safety net
// that fails a flag that stays: 5 s, the old bound, was a verdict on how fast a renderer the
// loaded machine stalls finishes an animation. A flag that does not go by itself stays for
// good, so the bound tells the two apart however long it is.
async function goesByItself(page, flag) {
  expectEqual(await flag.count(), 1, 'the flag before its 8 s');
  await page.clock.fastForward(8000);
  await flag.waitFor({ state: 'detached', timeout: 30000 });
}

export const admin = [
  {
    name: 'add-directory-sign-in-tenant-card',
    async run({ page, url, shot }) {
      await open(page, url, 'identity-providers');
      await page.getByTestId('idp-empty').waitFor();
      await page.getByTestId('add-idp').click();
      await page.getByTestId('add-step-provider').waitFor();
      await shot('provider-choice');
      await page.getByTestId('provider-azure').click();
      // The name is required.
      await page.getByTestId('name-next').click();
      expectMatch(await page.getByTestId('dir-name-error').textContent(), /Enter a name/, 'empty name refused');
      await page.getByTestId('dir-name').fill(dirName);
      await page.getByTestId('name-next').click();
      await page.getByTestId('fill-demo').click();
      await page.getByTestId('test-connection').click();
      const result = page.getByTestId('connection-result');
      await result.waitFor();
      for (const part of ['scimUrl', 'scimKey', 'orgKey', 'orgFound']) {
        expectEqual(await page.getByTestId(`check-${part}`).getAttribute('data-state'), 'ok', `connection part ${part}`);
      }
      await shot('connection-ok');
      await page.getByTestId('atlassian-next').click();
      await page.getByTestId('add-step-microsoft').waitFor();
      expectMatch(await page.getByTestId('client-id').inputValue(), /\S/, 'client id from the demo');
      // The tenant field the README's single-tenant registration needs, with words on when.
      const tenantField = page.getByTestId('tenant-field');
      expectMatch(await tenantField.textContent(), /Directory \(tenant\) ID.*Accounts in this organizational directory only.*multi-tenant/s, 'tenant field and when it is needed');
      for (const [typed, says] of [
        ['organizations', /Leave the field empty instead/],
        ['contoso', /Enter the Directory \(tenant\) ID.*or a domain verified in the tenant/],
      ]) {
        await page.getByTestId('sign-in-tenant').fill(typed);
        expectMatch(await page.getByTestId('sign-in-tenant-error').textContent(), says, `tenant ${typed} refused`);
        expectEqual(await page.getByTestId('create-directory').isDisabled(), true, `Save with tenant ${typed}`);
      }
      await page.getByTestId('sign-in-tenant').fill('contoso.onmicrosoft.com');
      expectEqual(await page.getByTestId('sign-in-tenant-error').count(), 0, 'a domain is accepted');
      await shot('tenant-field');
      // The demo's registration is multi-tenant: empty is right for it.
      await page.getByTestId('sign-in-tenant').fill('');
      await shot('app-registration');
      await page.getByTestId('create-directory').click();
      await page.getByTestId('signin-microsoft').click();
      // The real MSAL interactive flow, with the emulator's browser standing in for the admin.
      await page.getByTestId('tenant-card').waitFor({ timeout: 60000 });
      await page.getByTestId('tenant-warning').waitFor();
      expectMatch(await page.getByTestId('tenant-id').textContent(), /^[0-9a-f-]{36}$/i, 'tenant id');
      await shot('tenant-card');
      // The way out of a wrong tenant: sign out, and sign in again.
      const out = page.getByTestId('tenant-card').getByTestId('tenant-sign-out');
      expectMatch(await page.getByTestId('tenant-card').textContent(), /Not this tenant\?\s*Sign out and sign in with another account/, 'wrong-tenant way out');
      await out.click();
      await page.getByTestId('signin-microsoft').click();
      await page.getByTestId('tenant-card').waitFor({ timeout: 60000 });
      const tenantId = (await page.getByTestId('tenant-id').textContent()).trim();
      await page.getByTestId('tenant-continue').click();
      await page.getByTestId('sync-settings').waitFor();
      // The Connection tab edits the tenant; it is stored, and every later scenario signs in
      // silently through https://<authority>/<tenant id> (a wrong one would fail their reads).
      await page.getByTestId('tab-connection').click();
      expectEqual(await page.getByTestId('sign-in-tenant').inputValue(), '', 'tenant before it is entered');
      await page.getByTestId('sign-in-tenant').fill(tenantId.toUpperCase());
      await page.getByTestId('atlassian-next').click();
      await page.getByText('Connection saved').first().waitFor();
      // Read back from the backend, not the screen's state: the list, then the directory again.
      await page.getByTestId('side-nav').getByText('Identity providers', { exact: true }).click();
      await page.getByTestId('idp-table').getByRole('button', { name: dirName }).click();
      await page.getByTestId('status-panel').waitFor();
      await page.getByTestId('tab-connection').click();
      expectEqual(await page.getByTestId('sign-in-tenant').inputValue(), tenantId.toLowerCase(), 'tenant stored (lower case)');
      await shot('connection-tenant');
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('sync-settings').waitFor();
      // The name is text: the heading shows the angle brackets, and no <b> element was made.
      await page.getByRole('heading', { level: 1, name: dirName }).waitFor();
      expectEqual(await page.locator('h1 b').count(), 0, 'HTML elements made from the directory name');
    },
  },
  {
    name: 'wrong-atlassian-key-is-explained',
    async run({ page, url, shot }) {
      await toAtlassianStep(page, url, 'Wrong key');
      await page.getByTestId('scim-key').fill('not-the-right-key');
      await page.getByTestId('test-connection').click();
      const part = page.getByTestId('check-scimKey');
      await part.waitFor();
      expectEqual(await part.getAttribute('data-state'), 'failed', 'SCIM key part');
      expectMatch(await part.textContent(), /atlassian_unauthorized/, 'error code shown');
      // Next waits for a key that works (it went on to sign-in after a failed test).
      expectEqual(await page.getByTestId('atlassian-next').isDisabled(), true, 'Next after a failed key test');
      await page.getByTestId('atlassian-next-blocked').waitFor();
      await page.getByTestId('atlassian-guide').getByText('Set up user provisioning').waitFor();
      expectEqual(await page.getByTestId('check-scimUrl').getAttribute('data-state'), 'ok', 'URL part still ok');
      await shot('wrong-key');
    },
  },
  {
    // Before any sync, while every user is still to create. Every script of the demo tenant's names has a glyph in the fonts the test machine
    // installs (Makefile APT_TEST: fonts-noto-core, fonts-noto-cjk): a character drawn in the
    // page's font must not look like a private-use character, which no font has (a tofu box).
    name: 'demo-names-render-in-every-script',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      // The preview's notice opens in its own tab: the page's and the tab list's buttons stay put.
      const fixed = ['preview-changes', 'sync-now', 'tab-overview', 'tab-preview', 'tab-connection'];
      const before = await buttonBoxes(page, fixed);
      await page.getByTestId('preview-changes').click();
      await page.getByTestId('previewing').waitFor();
      await shot('previewing');
      expectNoJump(before, await buttonBoxes(page, fixed), 'while the preview is made');
      await page.getByTestId('preview').waitFor({ timeout: 120000 });
      expectNoJump(before, await buttonBoxes(page, fixed), 'once the preview is shown');
      await page.getByTestId('ops-search').fill('李');
      const cjkRow = page.getByTestId('ops-list').getByTestId('op-row').filter({ hasText: '李' }).first();
      await cjkRow.waitFor({ timeout: 20000 });
      await page.waitForTimeout(500); // the debounced search settles before the shot
      await cjkRow.scrollIntoViewIfNeeded();
      await shot('cjk-names');
      // The change list takes the page's width (it was squeezed into ~400 px, cutting names).
      const [list, tabs] = await Promise.all([page.getByTestId('ops-list').boundingBox(), page.getByTestId('preview').boundingBox()]);
      if (!list || !tabs || list.width < tabs.width * 0.9) throw new Error(`change list ${list?.width} px wide in a ${tabs?.width} px preview`);
      const missing = await page.evaluate(() => {
        const font = getComputedStyle(document.body).fontFamily;
        const draw = (ch) => {
          const c = document.createElement('canvas');
          c.width = 48;
          c.height = 48;
          const g = c.getContext('2d');
          g.font = `32px ${font}`;
          g.fillText(ch, 4, 36);
          return Array.from(g.getImageData(0, 0, 48, 48).data).join(',');
        };
        const tofu = draw('\uE000');
        // From internal/emulator/tenant: 李 王 (Chinese), محمد (Arabic), דוד (Hebrew),
        // Ιωάννης (Greek), Анна (Cyrillic), Nguyễn (Vietnamese), Ō (Latin extended).
        return ['李', '王', 'م', 'ד', 'Ι', 'А', 'ễ', 'Ō'].filter((ch) => draw(ch) === tofu);
      });
      if (missing.length) throw new Error(`no glyph for ${missing.join(' ')}: install fonts-noto-core and fonts-noto-cjk (make deps)`);
    },
  },
  {
    name: 'cancel-a-running-sync',
    clock: true,
    async run({ page, url, shot }) {
      // A new directory syncs all users and groups: the largest plan of the demo, slowed down
      // by IDPSYNC_DEMO_LATENCY, so the sync is still running when Cancel is pressed.
      await openDirectory(page, url);
      // One write at a time (a real setting, not on the screens) keeps the sync running long
      // enough to be cancelled; the later scenarios set it back.
      await setConcurrency(page, 1);
      const dialog = await syncNow(page);
      await dialog.getByText(/I confirm that/).click();
      await dialog.getByTestId('confirm-sync').click();
      await page.getByTestId('sync-progress').waitFor({ timeout: 30000 });
      // Phase rows appear one by one: Cancel and the page's buttons do not move with them.
      const rows = page.getByTestId('sync-progress').locator('[data-testid^="phase-"]');
      const fixed = ['sync-cancel', 'preview-changes', 'sync-now', 'tab-overview', 'tab-history'];
      const rows0 = await rows.count();
      const before = await buttonBoxes(page, fixed);
      await rows.nth(rows0).waitFor({ timeout: 60000 });
      expectNoJump(before, await buttonBoxes(page, fixed), `phase rows ${rows0} → ${await rows.count()}`);
      // While it runs, the status panel says so (it said "Sync disabled").
      const status = page.getByTestId('status-panel').getByTestId('directory-status');
      await status.filter({ hasText: 'Sync in progress' }).waitFor({ timeout: 10000 });
      await shot('progress');
      await page.getByTestId('sync-cancel').click();
      await page.getByTestId('cancel-dialog').waitFor();
      await shot('cancel-dialog');
      await page.getByTestId('cancel-confirm').click();
      const result = await syncEnded(page, shot, 'cancelled', 'canceled', 'cancelled sync result');
      expectMatch(await result.textContent(), /Sync cancelled/, 'result title');
      // What was and was not made, in words, and they add up to the plan.
      const doneText = await page.getByTestId('result-done').textContent();
      const m = /^([\d,]+) of ([\d,]+) changes made, ([\d,]+) not made$/.exec(doneText ?? '');
      if (!m) throw new Error(`cancelled result says ${JSON.stringify(doneText)}`);
      const [done, total, notDone] = m.slice(1).map((x) => Number(x.replace(/,/g, '')));
      if (!(done > 0 && notDone > 0 && done + notDone === total)) throw new Error(`counts ${doneText}`);
      // The overview and the history say the same.
      await status.filter({ hasText: 'Last sync cancelled' }).waitFor({ timeout: 10000 });
      // The shared status raises one info flag, which goes by itself.
      const flag = page.getByTestId('flag-info').filter({ hasText: `${dirName}: sync cancelled` });
      await flag.waitFor({ timeout: 35000 });
      expectEqual(await flag.count(), 1, 'cancelled flags');
      await goesByItself(page, flag);
      expectMatch(await page.getByTestId('last-sync').textContent(), new RegExp(`Cancelled.*${m[1]} of ${m[2]} changes made`), 'last sync line');
      await page.getByTestId('tab-history').click();
      const row = page.getByTestId('history-table').locator('[data-testid^="history-apply-canceled"]').first();
      await row.waitFor();
      expectMatch(await row.textContent(), new RegExp(`Cancelled.*${m[1]} of ${m[2]} changes made, ${m[3]} not made`), 'history row');
      await shot('history-cancelled');
      await page.getByTestId('tab-troubleshooting').click();
      await page.getByTestId('trouble-table').or(page.getByTestId('trouble-empty')).first().waitFor();
      await shot('troubleshooting');
    },
  },
  {
    name: 'settings-specific-domains-and-groups',
    clock: true,
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const [c1, c2] = await conflictNames(page);
      await setConcurrency(page, 32);
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('domain-table').waitFor({ timeout: 60000 });
      await page.getByText('Verify only specific domains').click();
      const boxes = page.getByTestId('domain-table').getByRole('checkbox', { disabled: false });
      const n = await boxes.count();
      if (n < 1) throw new Error('no selectable domain');
      for (let i = 0; i < n; i++) await boxes.nth(i).check({ force: true });
      await page.getByText('Sync specific groups and their users').click();
      await page.getByTestId('group-tree').waitFor({ timeout: 60000 });
      await shot('group-tree');
      for (const g of [c1, c2]) {
        await page.getByTestId('group-search').fill(g);
        const box = page.getByTestId('group-tree').getByRole('checkbox', { name: g, exact: true }).first();
        await box.waitFor();
        await box.check({ force: true });
      }
      await page.getByTestId('group-search').fill('');
      // One more group, from the tree itself.
      const first = page.getByTestId('group-tree').getByRole('checkbox', { disabled: false }).first();
      await first.waitFor();
      if (!(await first.isChecked())) await first.check({ force: true });
      expectMatch(await page.getByTestId('group-selected-count').textContent(), /^([2-9]|\d\d+) selected/, 'groups selected');
      // The warning under "Delete them from Atlassian" opens without moving Save.
      const del = page.getByText('Delete them from Atlassian');
      await del.scrollIntoViewIfNeeded();
      const before = await buttonBoxes(page, ['save-settings']);
      await del.click();
      await page.getByText('Deleting a group removes the permissions it grants').waitFor();
      await shot('delete-warning');
      expectNoJump(before, await buttonBoxes(page, ['save-settings']), 'the deletion warning');
      await page.getByText('Leave them in Atlassian and stop managing them').click();
      await shot('settings');
      await page.getByTestId('save-settings').click();
      const saved = page.getByTestId('flag-success').filter({ hasText: 'Settings saved' });
      await saved.waitFor();
      expectEqual(await page.getByTestId('flag-success').count(), 1, 'success flags after one save');
      await shot('settings-saved-flag');
      // It goes by itself (8 s); it stayed for good.
      await goesByItself(page, saved);
    },
  },
  {
    name: 'sync-now-with-unsaved-settings-asks',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('domain-table').waitFor({ timeout: 60000 });
      const checked = page.getByTestId('domain-table').getByRole('checkbox', { checked: true, disabled: false });
      if ((await checked.count()) < 2) throw new Error('fewer than two domains selected by the settings scenario');
      const unticked = (await checked.first().getAttribute('aria-label')).replace(/^Sync /, '');
      await checked.first().uncheck({ force: true });
      await page.getByTestId('settings-unsaved').waitFor();
      // Sync now does not silently use the saved settings: it asks.
      await page.getByTestId('sync-now').click();
      const ask = page.getByTestId('unsaved-dialog');
      await ask.waitFor();
      expectMatch(await ask.textContent(), /Save and preview.*|Discard/s, 'choices');
      await shot('unsaved-prompt');
      // Discard: the preview and the dialog use the saved domains, the unticked one included.
      await ask.getByTestId('unsaved-discard').click();
      let dialog = page.getByTestId('confirm-dialog');
      await dialog.waitFor({ timeout: 120000 });
      const listedDomains = async () => (await dialog.getByTestId('confirm-domains').locator('li').allTextContents()).map((x) => x.trim());
      if (!(await listedDomains()).includes(unticked)) throw new Error(`"${unticked}" missing after Discard: ${await listedDomains()}`);
      // The preview is what Sync now shows under its dialog.
      expectEqual(await page.getByTestId('preview').count(), 1, 'preview shown by Sync now');
      await dialog.getByTestId('confirm-cancel').click();
      await dialog.waitFor({ state: 'detached' });
      // Save and preview: the domain is gone from the dialog, then put back for the next scenarios.
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('domain-table').waitFor({ timeout: 60000 });
      await page.getByTestId('domain-table').getByRole('checkbox', { name: `Sync ${unticked}` }).uncheck({ force: true });
      await page.getByTestId('sync-now').click();
      await page.getByTestId('unsaved-dialog').getByTestId('unsaved-save').click();
      dialog = page.getByTestId('confirm-dialog');
      await dialog.waitFor({ timeout: 120000 });
      const listed = await listedDomains();
      if (listed.includes(unticked)) throw new Error(`"${unticked}" still listed after Save and preview: ${listed}`);
      await shot('saved-and-previewed');
      await dialog.getByTestId('confirm-cancel').click();
      await page.getByTestId('tab-settings').click();
      await page.getByTestId('domain-table').waitFor({ timeout: 60000 });
      await page.getByTestId('domain-table').getByRole('checkbox', { name: `Sync ${unticked}` }).check({ force: true });
      await page.getByTestId('save-settings').click();
      await page.getByTestId('settings-unsaved').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'preview-conflicts-confirm-and-sync',
    async run({ page, url, shot }) {
      await openDirectory(page, url);
      const [c1, c2] = await conflictNames(page);
      await page.getByTestId('preview-changes').click();
      await page.getByTestId('preview').waitFor({ timeout: 120000 });
      await page.getByTestId('ops-list').waitFor();
      // Filter by change type and search as you type.
      await page.getByTestId('ops-search').fill('zzzz-nobody');
      await page.getByText('No change matches.').waitFor();
      await page.getByTestId('ops-search').fill('');
      await page.getByTestId('ops-list').waitFor();
      await shot('preview');
      // What is left out says who and why, in words, and opens a detail with the code.
      await page.getByTestId('tab-skips').click();
      const skipRow = page.getByTestId('skips-list').getByTestId('skip-row').first();
      await skipRow.waitFor();
      const skipName = (await skipRow.getByTestId('skip-name').textContent())?.trim() ?? '';
      if (!skipName || /^(user|group)$/i.test(skipName)) throw new Error(`left-out row names ${JSON.stringify(skipName)}`);
      const why = (await skipRow.getByTestId('skip-reason').textContent()) ?? '';
      expectMatch(why, /^[A-Z][a-z]+ [a-z]/, 'left-out reason in words');
      if (/_/.test(why)) throw new Error(`left-out reason is a code: ${why}`);
      await skipRow.scrollIntoViewIfNeeded();
      await shot('left-out');
      await skipRow.click();
      const sd = page.getByTestId('skip-detail');
      await sd.waitFor();
      expectEqual((await sd.getByTestId('skip-detail-reason').textContent())?.trim(), why.replace(/\s*\(.*\)$/, '').trim(), 'detail reason');
      await shot('left-out-detail');
      await sd.getByRole('button', { name: 'Close' }).click();
      await sd.waitFor({ state: 'detached' });
      await page.getByTestId('tab-ops').click();
      // One conflict taken over, the other skipped.
      const take = page.getByTestId(`conflict-${c1}`);
      await take.getByTestId('conflict-take-over').click();
      await take.getByText('Taking over').waitFor({ timeout: 60000 });
      const skip = page.getByTestId(`conflict-${c2}`);
      await skip.getByTestId('conflict-skip').click();
      await skip.getByText('Skipped').waitFor({ timeout: 60000 });
      await page.getByTestId(`conflict-${c1}`).getByText('Taking over').waitFor();
      await shot('conflicts');
      // A user's detail with the chain of groups.
      await page.getByTestId('ops-list').getByTestId('op-row').first().click();
      await page.getByTestId('op-detail').waitFor();
      await shot('detail');
      await page.getByTestId('op-detail').getByRole('button', { name: 'Close' }).click();

      await page.getByTestId('preview-sync').click();
      const dialog = page.getByTestId('confirm-dialog');
      await dialog.waitFor();
      expectMatch(await dialog.getByTestId('confirm-domains').textContent(), /\./, 'domains listed');
      await dialog.getByTestId('confirm-conflicts').waitFor();
      // Refused while unticked.
      expectEqual(await dialog.getByTestId('confirm-sync').isDisabled(), true, 'Sync disabled before the tick');
      await dialog.getByTestId('confirm-sync').click({ force: true });
      await dialog.waitFor();
      await shot('confirm-unticked');
      await dialog.getByText(/I confirm that/).click();
      // Narrowing the scope after the earlier sync deactivates many users: the threshold asks
      // for an override for this sync, and Sync stays disabled until it is given.
      if (await dialog.getByTestId('confirm-threshold').count()) {
        expectEqual(await dialog.getByTestId('confirm-sync').isDisabled(), true, 'Sync disabled over the threshold');
        await dialog.getByText(/Deactivate them anyway/).click();
      }
      // It removes their memberships too: the membership-removal threshold needs its own tick.
      if (await dialog.getByTestId('confirm-removal-threshold').count()) {
        expectEqual(await dialog.getByTestId('confirm-sync').isDisabled(), true, 'Sync disabled over the removal threshold');
        await dialog.getByText(/Remove them anyway/).click();
      }
      expectEqual(await dialog.getByTestId('confirm-sync').isDisabled(), false, 'Sync enabled after the tick');
      await shot('confirm-ticked');
      await dialog.getByTestId('confirm-sync').click();
      await syncEnded(page, shot, 'result', 'succeeded', 'sync result');
      // The overview shows the synced counts.
      await page.getByTestId('synced-users').filter({ hasNotText: /^0$/ }).waitFor({ timeout: 20000 });
      expectMatch(await page.getByTestId('synced-domains').textContent(), /^[1-9]/, 'synced domains');
      await page.getByTestId('tab-history').click();
      await page.getByTestId('history-table').getByText('Succeeded').first().waitFor();
      await shot('history');
      // A report opened from a directory: one title, breadcrumbs, and the side navigation
      // goes back to the list (it did nothing from a directory or a report).
      await page.getByTestId('history-table').getByTestId('history-report').first().click();
      await page.getByTestId('report-view').waitFor();
      expectEqual(await page.getByText('Sync report', { exact: true }).count(), 2, 'the page title and the breadcrumb say Sync report once each');
      expectEqual(await page.getByRole('heading', { level: 1 }).count(), 1, 'one page title');
      expectEqual(await page.getByText('← Back').count(), 0, 'stray back button');
      await page.getByTestId('crumb-idps').waitFor();
      // The way back names the directory (it said "Directory").
      const crumb = page.getByTestId('crumb-directory');
      await crumb.filter({ hasText: dirName }).waitFor({ timeout: 10000 });
      expectEqual((await crumb.textContent())?.trim(), dirName, 'breadcrumb back to the directory');
      await shot('report-from-directory');
      await page.getByTestId('side-nav').getByText('Identity providers', { exact: true }).click();
      await page.getByTestId('idp-table').waitFor();
    },
  },
  {
    name: 'history-opens-the-report',
    async run({ page, url, shot }) {
      await open(page, url, 'sync-history');
      await page.getByTestId('history-table').waitFor();
      await shot('history');
      await page.getByTestId('history-report').first().click();
      await page.getByTestId('report-view').waitFor();
      await page.getByTestId('report-chart').waitFor({ timeout: 30000 });
      await page.getByTestId('export-bar').waitFor();
      await shot('report');
      await open(page, url, 'identity-providers');
      await page.getByTestId('idp-table').waitFor();
      await shot('list');
      // Dark theme (design tokens) and 200% zoom: the same screen stays readable.
      await page.getByTestId('theme-toggle').click(); // system -> light
      await page.getByTestId('theme-toggle').click(); // light -> dark
      await page.getByTestId('idp-table').getByRole('button', { name: dirName }).click();
      await page.getByTestId('status-panel').waitFor();
      await shot('overview-dark');
      await page.evaluate(() => {
        document.documentElement.style.zoom = '2';
      });
      await shot('overview-dark-200');
      await page.evaluate(() => {
        document.documentElement.style.zoom = '';
      });
      await page.getByTestId('theme-toggle').click(); // dark -> system
    },
  },
];

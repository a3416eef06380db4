import { expectEqual, expectMatch } from './expect.mjs';

async function open(page, url, path = '') {
  await page.goto(url + (path ? `#/${path}` : ''), { waitUntil: 'domcontentloaded' });
  await page.getByTestId('top-bar').waitFor();
}

export const shell = [
  {
    name: 'shell-opens-on-identity-providers',
    async run({ page, url }) {
      await open(page, url);
      expectMatch(await page.getByTestId('top-bar').textContent(), /IdP Sync/, 'top bar');
      await page.getByRole('heading', { level: 1, name: 'Identity providers' }).waitFor();
      const nav = page.getByTestId('side-nav');
      await nav.getByText('Security', { exact: true }).waitFor();
      await nav.getByText('Identity providers', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Add identity provider' }).waitFor();
    },
  },
  {
    name: 'navigate-the-shell',
    async run({ page, url, shot }) {
      await open(page, url, 'sync-history');
      const nav = page.getByTestId('side-nav');
      // No dead-end placeholder pages.
      expectEqual(await nav.getByText('Users', { exact: true }).count(), 0, 'Users placeholder in the navigation');
      expectEqual(await nav.getByText('Groups', { exact: true }).count(), 0, 'Groups placeholder in the navigation');
      await nav.getByText('Sync history', { exact: true }).click();
      await page.getByTestId('page-sync-history').getByText('No sync runs yet').waitFor();
      expectEqual(new URL(page.url()).hash, '#/sync-history', 'hash after navigation');
      await nav.getByText('Identity providers', { exact: true }).click();
      await page.getByTestId('idp-empty').waitFor();
      await shot('identity-providers');
      await page.getByRole('button', { name: 'Add identity provider' }).click();
      const step = page.getByTestId('add-step-provider');
      await step.getByText('Microsoft Azure AD').waitFor();
      await step.getByText('Not available in this app', { exact: false }).first().waitFor();
      await shot('choose-provider');
    },
  },
  {
    name: 'about-calls-the-go-backend',
    async run({ page, url, shot, env }) {
      await open(page, url);
      // "?" opens help for the screen the admin is on, with the pages it relies on.
      await page.getByRole('button', { name: 'Help for this screen' }).click();
      const help = page.getByTestId('help-dialog');
      await help.waitFor();
      expectMatch(await help.textContent(), /Help: Identity providers.*Sync now always previews first/s, 'help of the current screen');
      expectMatch(await help.getByTestId('help-links').textContent(), /Microsoft:.*Atlassian:|Atlassian:.*Microsoft:/s, 'links to both vendors');
      await shot('help');
      await help.getByTestId('help-about').click();
      const dialog = page.getByTestId('about-dialog');
      // The data folder comes from Go (IDPSYNC_HOME of the app under test), not from the page.
      const dataDir = dialog.getByTestId('about-datadir');
      await dataDir.waitFor();
      if (env.dataDir) expectEqual(await dataDir.textContent(), env.dataDir, 'data folder from About()');
      expectMatch(await dialog.getByTestId('about-version').textContent(), /\S/, 'version from About()');

      await dialog.getByTestId('ping-input').fill('hello from e2e');
      await dialog.getByTestId('ping-send').click();
      const reply = dialog.getByTestId('ping-reply');
      await reply.waitFor();
      expectMatch(await reply.textContent(), /“hello from e2e” at \d{4}-\d\d-\d\dT/, 'Ping reply');

      // A coded error made by Go's ErrorFormatter, shown with its action and code.
      await dialog.getByTestId('ping-input').fill('   ');
      await dialog.getByTestId('ping-send').click();
      const err = dialog.getByTestId('ping-error');
      await err.waitFor();
      expectMatch(await err.textContent(), /the message is empty.*Error code: invalid_input/s, 'Ping error');
      await shot('about');

      // The same binding called directly: the rejection is the {code, message, action} object.
      const direct = await page.evaluate(() => window.go.app.AppService.Ping('').then(() => null, (e) => e));
      expectEqual(direct?.code, 'invalid_input', 'direct rejection code');
      expectMatch(direct?.action, /Type a few characters/, 'direct rejection action');
    },
  },
];

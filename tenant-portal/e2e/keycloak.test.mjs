// Keycloak mode (modules/app WebAppsKeycloakIT; run with E2E_AUTH=keycloak, skipped otherwise): a member of two
// tenants signs in on Keycloak's login page (authorization code with PKCE), picks one tenant, sees only it,
// opens its members and service accounts, and signs out.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { Browser, KEYCLOAK, ORIGIN, APP_URL, steps } from '@modelplane/web-kit/e2e';

const USER = process.env.KEYCLOAK_USER;
const PASSWORD = process.env.KEYCLOAK_PASSWORD;

describe('Keycloak sign-in', { skip: !KEYCLOAK && 'Keycloak mode only (E2E_AUTH=keycloak)' }, () => {
  const step = steps();
  let b;
  let page;
  let done = false;

  before(async () => {
    assert.ok(USER && PASSWORD, 'KEYCLOAK_USER and KEYCLOAK_PASSWORD name the member who signs in');
    b = await Browser.launch();
    page = b.page;
  });

  after(async () => {
    // where a failed step stopped: the address and the text of the page (Keycloak's pages are not the portal's)
    if (page && !done) {
      console.log(`last page: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 2000)}`);
    }
    await b?.close();
  });

  step('signing in goes to Keycloak and back; a member of two tenants picks one', async () => {
    await b.goto('');
    await page.getByRole('button', { name: 'Continue with Keycloak' }).click();
    await b.keycloakLogin(USER, PASSWORD);
    await page.waitForURL((url) => url.href.startsWith(APP_URL));
    await page.getByRole('heading', { level: 1, name: 'Choose an organization' }).waitFor();
    await page.getByRole('button', { name: 'kc-south' }).waitFor();
    await b.checkPage('keycloak-choose');
    b.assertNoConsoleErrors();
    await page.getByRole('button', { name: 'kc-north' }).click();
    // Keycloak signs in again for that organization, without asking again (its session)
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.ok(new URL(page.url()).href.startsWith(APP_URL), page.url());
  });

  step('the portal shows the chosen tenant and only it', async () => {
    await page.getByText('kc-north · tenant-admin').waitFor();
    await b.checkPage('keycloak-overview');
    assert.ok(!(await page.content()).includes('kc-south'), 'the other tenant appears in the portal');
    b.assertNoConsoleErrors();
  });

  step('Members lists the tenant\'s members', async () => {
    await b.navigate('Members');
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    await page.getByRole('cell', { name: USER, exact: true }).waitFor();
    await b.checkPage('keycloak-members');
    assert.ok(!(await page.content()).includes('kc-south'), 'the other tenant appears on Members');
    b.assertNoConsoleErrors();
  });

  step('Service accounts opens', async () => {
    await b.navigate('Service accounts');
    await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
    await b.checkPage('keycloak-service-accounts');
    b.assertNoConsoleErrors();
  });

  step('signing out ends the Keycloak session too', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.href.startsWith(APP_URL));
    await page.getByRole('button', { name: 'Continue with Keycloak' }).waitFor();
    b.assertNoConsoleErrors();
    // no session left at Keycloak: signing in shows its login form again instead of coming straight back
    await page.getByRole('button', { name: 'Continue with Keycloak' }).click();
    await page.waitForURL((url) => url.origin !== ORIGIN);
    await page.locator('#username').waitFor();
    done = true;
  });
});

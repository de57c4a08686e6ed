// Keycloak mode (modules/app WebAppsKeycloakIT; run with E2E_AUTH=keycloak, skipped otherwise): a user with the
// realm role operator signs in on Keycloak's login page (authorization code with PKCE) and works in the console;
// a tenant-admin signs in too and is refused with the operators-only page.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { APP_URL, Browser, KEYCLOAK, WIDE, steps } from '@modelplane/web-kit/e2e';

const OPERATOR = process.env.KEYCLOAK_OPERATOR;
const MEMBER = process.env.KEYCLOAK_MEMBER;
const PASSWORD = process.env.KEYCLOAK_PASSWORD;

describe('Keycloak sign-in', { skip: !KEYCLOAK && 'Keycloak mode only (E2E_AUTH=keycloak)' }, () => {
  const step = steps();
  let b;
  let page;
  let done = false;

  before(async () => {
    assert.ok(OPERATOR && MEMBER && PASSWORD, 'KEYCLOAK_OPERATOR, KEYCLOAK_MEMBER and KEYCLOAK_PASSWORD name who signs in');
    b = await Browser.launch();
    page = b.page;
  });

  after(async () => {
    // where a failed step stopped: the address and the text of the page (Keycloak's pages are not the console's)
    if (page && !done) {
      console.log(`last page: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 2000)}`);
    }
    await b?.close();
  });

  /** Continue with Keycloak, sign in there as {@code user}, and come back. */
  async function keycloakLogin(user) {
    await page.getByRole('button', { name: 'Continue with Keycloak' }).click();
    await b.keycloakLogin(user, PASSWORD);
    await page.waitForURL((url) => url.href.startsWith(APP_URL));
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.href.startsWith(APP_URL));
    await page.getByRole('button', { name: 'Continue with Keycloak' }).waitFor();
  }

  step('an operator signs in through Keycloak and works in the console', async () => {
    await b.goto('');
    await keycloakLogin(OPERATOR);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByText(`${OPERATOR} · operator`).waitFor();
    await b.navigate('Tenants');
    await page.getByRole('link', { name: 'kc-ops', exact: true }).waitFor();
    await b.checkPage('keycloak-tenants', [WIDE]);
    b.assertNoConsoleErrors([/\/api\/v1\/admin\/(overview|plans)\b/]);
    await signOut();
  });

  step('a tenant-admin is refused the console with a clear page', async () => {
    await keycloakLogin(MEMBER);
    await page.getByRole('heading', { level: 1, name: 'This console is for platform operators' }).waitFor();
    await b.checkPage('keycloak-not-operator', [WIDE]);
    b.assertNoConsoleErrors();
    await signOut();
    done = true;
  });
});

// What a viewer sees: no deploy or upload controls, and a call its role may not make shows the API's sentence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser, OPERATOR_KEY, api } from '@modelplane/web-kit/e2e';

let b;
let page;
let viewerKey;
let viewerKeyId;

before(async () => {
  const created = await api('POST', '/api/v1/tenants/demo/api-keys', OPERATOR_KEY, { name: 'e2e-viewer', role: 'viewer' });
  assert.equal(created.status, 201, created.text);
  viewerKey = created.json.key;
  viewerKeyId = created.json.id;
  b = await Browser.launch();
  page = b.page;
  await b.signIn(viewerKey);
});

after(async () => {
  await b?.close();
  if (viewerKeyId) {
    await api('DELETE', `/api/v1/tenants/demo/api-keys/${viewerKeyId}`, OPERATOR_KEY);
  }
});

/** A control the role may not use is absent, or present but disabled. */
async function assertUnusable(locator, what) {
  const count = await locator.count();
  for (let i = 0; i < count; i++) {
    const control = locator.nth(i);
    const disabled = (await control.isDisabled()) || (await control.getAttribute('aria-disabled')) === 'true';
    assert.ok(disabled, `a viewer can use ${what}`);
  }
}

test('a viewer sees the model but no deploy or upload controls', async () => {
  await b.navigate('Models');
  await page.getByRole('link', { name: 'digits', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'digits' }).waitFor();
  await page.getByRole('region', { name: 'Replicas' }).waitFor();
  await assertUnusable(page.getByRole('button', { name: 'Deploy', exact: true }), 'Deploy');
  await assertUnusable(page.getByRole('button', { name: /roll ?back/i }), 'Roll back');
  await assertUnusable(page.getByRole('link', { name: 'Upload a version' }), 'Upload a version');
  await assertUnusable(page.getByRole('button', { name: 'Upload a version' }), 'Upload a version');
  await b.checkPage('model-viewer');
  b.assertNoConsoleErrors();
});

test('a call the role may not make shows the API\'s sentence', async () => {
  await b.goto('api-keys');
  await page.getByText('role viewer may not do this').first().waitFor();
  await b.checkPage('api-keys-viewer');
  b.assertNoConsoleErrors([/status of 403/]);
});

test('a viewer has no Billing link, and the page says why', async () => {
  await b.goto('');
  await page.getByRole('navigation').getByRole('link', { name: 'Usage', exact: true }).waitFor({ state: 'attached' });
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Billing', exact: true }).count(), 0);
  await b.goto('billing');
  await page.getByText('Billing is visible to the tenant-admin role only.').waitFor();
  b.assertNoConsoleErrors();
});

test('a viewer cannot export the data, and the overview says why', async () => {
  await b.goto('');
  const exportButton = page.getByRole('button', { name: 'Export data' });
  await exportButton.waitFor();
  assert.ok(await exportButton.isDisabled(), 'a viewer can export');
  await page.getByText(/Exporting the tenant’s data needs the tenant-admin role/).waitFor();
  b.assertNoConsoleErrors();
});

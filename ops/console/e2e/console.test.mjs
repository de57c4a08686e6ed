// An operator's day in the console, in order, against a real node started from the built jar (modules/app ConsoleIT):
// sign in with the operator key, create a priced plan and a tenant on it, its key predicts, the overview and the
// tenant's usage show the calls, suspend (the key gets 403), resume, the audit log shows the steps with the operator
// as actor, evict the demo model (it is placed again), this month's billing shows the tenant with a non-zero total
// and the CSV downloads; every page passes axe and is screenshot at 1280 px, with no console error anywhere.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { Browser, DEMO_KEY, OPERATOR_KEY, SLOW, WIDE, api, eventually, readRepoJson, repoFile, steps, ORIGIN } from '@modelplane/web-kit/e2e';

const step = steps();

const MODEL_FILE = repoFile('modules/inference/src/main/resources/io/modelplane/inference/demo/digits.pt');
const MANIFEST = readRepoJson('modules/inference/src/main/resources/io/modelplane/inference/demo/digits-manifest.json');
const SEVEN = readRepoJson('ops/scripts/digit-request.json');
const RUN = Date.now().toString(36);
const TENANT = `e2e-${RUN}`;
const PLAN = `e2e-plan-${RUN}`;
const WIDE_ONLY = [WIDE];

let b;
let page;
let tenantKey;

before(async () => {
  b = await Browser.launch();
  page = b.page;
});

after(async () => {
  await b?.close();
});

const h1 = (name) => page.getByRole('heading', { level: 1, name, exact: true });

async function predict(key) {
  const r = await fetch(`${ORIGIN}/v2/models/digits/infer`, {
    method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(SEVEN),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

step('sign in with the operator key: the overview and the navigation', async () => {
  await b.goto('');
  await page.getByLabel('Operator key').waitFor();
  await b.checkPage('sign-in', WIDE_ONLY);
  await b.signIn(OPERATOR_KEY, 'Operator key');
  await h1('Overview').waitFor();
  for (const name of ['Overview', 'Tenants', 'Plans', 'Cluster', 'Audit', 'Billing']) {
    await page.getByRole('navigation').getByRole('link', { name, exact: true }).waitFor();
  }
  await page.getByText('Requests, last hour').waitFor();
  await b.checkPage('overview', WIDE_ONLY);
  b.assertNoConsoleErrors();
});

step('create a plan with a monthly base price: it is listed with no tenant on it', async () => {
  await b.navigate('Plans');
  await h1('Plans').waitFor();
  await page.getByRole('button', { name: 'Create plan' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Plan id').fill(PLAN);
  await dialog.getByLabel('Plan name').fill('End to end plan');
  await dialog.getByLabel('Monthly base').fill('25.00');
  await dialog.getByLabel('Per million requests').fill('100');
  await dialog.getByRole('button', { name: 'Create plan' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const plans = page.getByRole('region', { name: 'Plans table' });
  await eventually('the new plan to be listed', async () => {
    if (await plans.getByRole('row').filter({ hasText: PLAN }).count() > 0) return true;
    await page.reload();
    await h1('Plans').waitFor();
    return false;
  });
  const row = plans.getByRole('row').filter({ hasText: PLAN });
  await row.getByText('$25.00').waitFor();
  await row.getByRole('link', { name: `0 tenants on ${PLAN}` }).waitFor();
  const created = await api('GET', `/api/v1/admin/plans/${PLAN}`, OPERATOR_KEY);
  assert.equal(created.status, 200, created.text);
  assert.equal(created.json.prices.monthlyBase, 2500);
  assert.equal(created.json.prices.perMillionRequests, 10000);
  await b.checkPage('plans', WIDE_ONLY);
  b.assertNoConsoleErrors();
});


step('create a tenant on the plan: its page has the tenant id as heading', async () => {
  await b.navigate('Tenants');
  await h1('Tenants').waitFor();
  await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
  await b.checkPage('tenants', WIDE_ONLY);
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Tenant id').fill(TENANT);
  await dialog.getByLabel('Display name').fill('End to end');
  await dialog.getByLabel('Plan').selectOption(PLAN);
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await h1(TENANT).waitFor();
  await page.getByText('End to end', { exact: true }).waitFor();
  const tenant = await api('GET', `/api/v1/tenants/${TENANT}`, OPERATOR_KEY);
  assert.equal(tenant.json.plan, PLAN, tenant.text);
  // the search field and the plan filter find it (the server filters), and its id links to its page
  await b.navigate('Tenants');
  await page.getByLabel('Search tenants').fill(TENANT);
  await page.getByLabel('Plan', { exact: true }).selectOption(PLAN);
  const rows = page.getByRole('region', { name: 'Tenants table' }).getByRole('row');
  await eventually('the filtered list to hold just the new tenant', async () => {
    const texts = await rows.allInnerTexts();
    if (texts.length === 2 && texts[1].includes(TENANT) && texts[1].includes(PLAN)) return true;
    await page.waitForTimeout(500);
    return false;
  });
  await page.getByRole('link', { name: TENANT, exact: true }).click();
  await h1(TENANT).waitFor();
  b.assertNoConsoleErrors();
});

step("the tenant's key predicts", async () => {
  const created = await api('POST', `/api/v1/tenants/${TENANT}/api-keys`, OPERATOR_KEY, { name: 'e2e', role: 'developer' });
  assert.equal(created.status, 201, created.text);
  tenantKey = created.json.key;
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify(MANIFEST)], { type: 'application/json' }));
  form.append('artifact', new Blob([readFileSync(MODEL_FILE)]), 'digits.pt');
  const upload = await fetch(`${ORIGIN}/api/v1/tenants/${TENANT}/models/digits/versions`, {
    method: 'POST', headers: { Authorization: `Bearer ${tenantKey}` }, body: form,
  });
  assert.equal(upload.status, 201, await upload.text());
  const deploy = await api('PUT', `/api/v1/tenants/${TENANT}/models/digits/deployment`, tenantKey, { traffic: { 1: 100 } });
  assert.equal(deploy.status, 202, deploy.text);
  const answer = await eventually('the new tenant\'s digits to answer', async () => {
    const r = await predict(tenantKey);
    return r.status === 200 ? r : null;
  }, SLOW * 2);
  assert.ok(answer.json.outputs?.length > 0, JSON.stringify(answer.json));
});

step("the tenant's page shows its model, key and history with the operator as actor", async () => {
  await page.reload();
  await h1(TENANT).waitFor();
  const models = page.getByRole('region', { name: 'Models table' });
  await eventually('digits to show ready on the tenant page', async () => {
    if (await models.getByText('ready', { exact: true }).isVisible()) return true;
    await page.reload();
    await h1(TENANT).waitFor();
    await page.waitForTimeout(1_000);
    return false;
  });
  const history = page.getByRole('region', { name: 'History table' });
  await history.getByRole('row').filter({ hasText: 'Tenant created' }).filter({ hasText: 'operator' }).waitFor({ timeout: SLOW });
  await b.checkPage('tenant', WIDE_ONLY);
  b.assertNoConsoleErrors();
});

step("the tenant's usage and the overview show the calls", async () => {
  for (let i = 0; i < 3; i++) assert.equal((await predict(tenantKey)).status, 200);
  await eventually("the tenant's usage to count the calls", async () => {
    await page.reload();
    await h1(TENANT).waitFor();
    const text = await page.getByText(/^Last 24 hours: /).innerText();
    const n = Number(/Last 24 hours: ([\d,]+) request/.exec(text)?.[1]?.replace(/,/g, '') ?? 0);
    return n >= 4;
  });
  await b.navigate('Overview');
  await h1('Overview').waitFor();
  const lastHour = page.getByRole('region', { name: 'Last hour per tenant table' });
  await eventually('the overview to list the tenant in the last hour', async () => {
    if (await lastHour.getByRole('row').filter({ hasText: TENANT }).count() > 0) return true;
    await page.reload();
    await h1('Overview').waitFor();
    return false;
  });
  const cells = await lastHour.getByRole('row').filter({ hasText: TENANT }).getByRole('cell').allInnerTexts();
  assert.ok(Number(cells[1].replace(/,/g, '')) >= 4, cells.join(' | '));
  await b.checkPage('overview-calls', WIDE_ONLY);
  b.assertNoConsoleErrors();
  await b.navigate('Tenants');
  await page.getByLabel('Search tenants').fill(TENANT);
  await page.getByRole('link', { name: TENANT, exact: true }).click();
  await h1(TENANT).waitFor();
});

step('suspend: the key gets 403; resume: it predicts again', async () => {
  await page.getByRole('button', { name: `Suspend ${TENANT}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('button', { name: `Resume ${TENANT}` }).waitFor();
  await eventually('the suspended key to get 403', async () => (await predict(tenantKey)).status === 403);
  await page.getByRole('button', { name: `Resume ${TENANT}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: `Suspend ${TENANT}` }).waitFor();
  await eventually('the resumed key to predict', async () => (await predict(tenantKey)).status === 200);
  b.assertNoConsoleErrors();
});

step('the audit log lists each step with the operator as actor', async () => {
  await b.navigate('Audit');
  await h1('Audit').waitFor();
  await page.getByLabel('Tenant', { exact: true }).fill(TENANT);
  await page.getByLabel('Actor', { exact: true }).fill('operator');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const log = page.getByRole('region', { name: 'Audit log table' });
  // the filtered answer replaces the tenant's whole log once it arrives: wait for it, every row by the operator
  await eventually('the audit log to list create, suspend and resume, all by the operator', async () => {
    const rows = await log.getByRole('row').filter({ hasText: TENANT }).allInnerTexts();
    const texts = rows.join('\n');
    if (['Tenant created', 'Tenant suspended', 'Tenant resumed'].every((t) => texts.includes(t)) && rows.every((r) => /operator/.test(r))) {
      return true;
    }
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForTimeout(1_000);
    return false;
  });
  await b.checkPage('audit', WIDE_ONLY);
  b.assertNoConsoleErrors();
});

step('the cluster shows the nodes and the workers with their residents', async () => {
  await b.navigate('Cluster');
  await h1('Cluster').waitFor();
  await page.getByRole('region', { name: 'Nodes table' }).getByRole('row').nth(1).waitFor();
  await page.getByText(`${TENANT}/digits v1`).first().waitFor({ timeout: SLOW });
  // each node's resources (CPU, heap, the data disk's bar) and each worker's device utilization
  const resources = page.getByRole('region', { name: 'Node resources table' });
  await resources.getByRole('row').nth(1).getByText(/ of \d+ cores?$/).waitFor({ timeout: SLOW });
  await resources.getByRole('progressbar', { name: /^Heap of .+: [\d.]+ % used$/ }).first().waitFor();
  await resources.getByRole('progressbar', { name: /^Disk of .+: [\d.]+ % used$/ }).first().waitFor();
  await page.getByText(/^Device busy \d+ % of the last few seconds/).first().waitFor();
  // an idle device's bar has no width: there, not visible
  await page.getByRole('progressbar', { name: /^Utilization of .+: \d+ %$/ }).first().waitFor({ state: 'attached' });
  await b.checkPage('cluster', WIDE_ONLY);
  b.assertNoConsoleErrors();
});

step('evict the demo model on the Cluster page, with confirmation: it is placed again', async () => {
  const residentOf = async () => {
    const c = await api('GET', '/api/v1/admin/cluster', OPERATOR_KEY);
    for (const w of c.json.workers) {
      const r = w.models.find((m) => m.tenant === 'demo' && m.model === 'digits' && m.version === 1);
      if (r) return { worker: w.workerId, ...r };
    }
    return null;
  };
  // a request first, so the resident has run a forward pass; a version loaded again starts from none
  assert.equal((await predict(DEMO_KEY)).status, 200);
  const placed = await eventually('the demo model to be resident with a forward pass run', async () => {
    const r = await residentOf();
    return r && r.batchSizes.batches > 0 ? r : null;
  }, SLOW);
  const name = 'demo/digits v1';
  const evict = page.getByRole('button', { name: `Evict ${name} from ${placed.worker}` });
  await evict.waitFor({ timeout: SLOW });
  await evict.click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(`Evict ${name}?`).waitFor();
  await dialog.getByRole('button', { name: 'Evict' }).click();
  await dialog.waitFor({ state: 'hidden' });
  // placement loads it again: resident once more, as a fresh load
  const again = await eventually('the demo model to be resident again', async () => {
    const r = await residentOf();
    return r && r.batchSizes.batches === 0 ? r : null;
  }, SLOW * 2);
  assert.ok(again.bytes > 0, JSON.stringify(again));
  await page.getByRole('button', { name: `Evict ${name} from ${again.worker}` }).waitFor({ timeout: SLOW });
  assert.equal((await predict(DEMO_KEY)).status, 200);
  b.assertNoConsoleErrors();
});

step("this month's billing shows the tenant with a non-zero total, and the CSV downloads", async () => {
  await b.navigate('Billing');
  await h1('Billing').waitFor();
  const month = new Date().toISOString().slice(0, 7);
  assert.equal(await page.getByLabel('Month').inputValue(), month);
  const row = page.getByRole('region', { name: /^Statements of .* table$/ }).getByRole('row').filter({ hasText: TENANT });
  await row.waitFor({ timeout: SLOW });
  const cells = await row.getByRole('cell').allInnerTexts();
  assert.equal(cells[1], PLAN);
  const total = Number(cells[5].replace(/[^0-9.]/g, ''));
  assert.ok(total >= 25, `total ${cells[5]}`);
  await row.getByRole('button', { name: `Show the lines of ${TENANT}` }).click();
  await page.getByRole('cell', { name: '$25.00 per month', exact: true }).waitFor();
  await b.checkPage('billing', WIDE_ONLY);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `modelplane-billing-${month}.csv`);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /tenant/);
  assert.ok(lines.some((l) => l.includes(TENANT) && l.includes(PLAN) && l.includes('base')), csv);
  b.assertNoConsoleErrors();
});

step('delete a throwaway tenant through the dialog: typed id, result, status deleted', async () => {
  const doomed = `e2e-del-${RUN}`;
  const created = await api('POST', '/api/v1/tenants', OPERATOR_KEY, { id: doomed, displayName: 'To delete' });
  assert.equal(created.status, 201, created.text);
  const key = await api('POST', `/api/v1/tenants/${doomed}/api-keys`, OPERATOR_KEY, { name: 'e2e', role: 'developer' });
  assert.equal(key.status, 201, key.text);
  await b.goto(`tenants/${doomed}`);
  await h1(doomed).waitFor();
  await page.getByRole('button', { name: 'Delete tenant' }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${doomed}?` });
  await dialog.getByText('the audit log, and the usage and billing records.').waitFor();
  const confirm = dialog.getByRole('button', { name: `Delete ${doomed}` });
  await dialog.getByLabel(`Type the tenant id ${doomed} to confirm`).fill(doomed.slice(0, -1));
  assert.ok(await confirm.isDisabled(), 'enabled before the id is typed in full');
  await dialog.getByLabel(`Type the tenant id ${doomed} to confirm`).fill(doomed);
  // the id stays reserved (the checkbox left alone), so the operator can still read the deleted tenant
  assert.equal(await dialog.getByLabel('Release the tenant id for reuse').isChecked(), false);
  await b.checkPage('delete-tenant', WIDE_ONLY);
  await confirm.click();
  await dialog.waitFor({ state: 'hidden', timeout: SLOW });
  await page.getByText(`${doomed} was deleted`).waitFor();
  await page.getByText('Data key destroyed: no stored copy of its artifacts can be decrypted again.').waitFor();
  await page.getByText(`The id ${doomed} stays reserved.`).waitFor();
  // the page reads the tenant again: status deleted
  await page.getByText('Its artifacts and data key are gone; its audit log, usage and billing records are kept.').waitFor({ timeout: SLOW });
  await page.getByText('deleted', { exact: true }).first().waitFor();
  // the tenant's own key is refused from now on
  assert.equal((await api('GET', `/api/v1/tenants/${doomed}`, key.json.key)).status >= 400, true);
  // the list's deleted filter shows it
  await b.goto(`tenants?status=deleted&q=${doomed}`);
  const rows = page.getByRole('region', { name: 'Tenants table' }).getByRole('row').filter({ hasText: doomed });
  await eventually('the deleted tenant to be listed as deleted', async () => {
    if (await rows.filter({ hasText: 'deleted' }).count() > 0) return true;
    await page.reload();
    await h1('Tenants').waitFor();
    return false;
  });
  b.assertNoConsoleErrors();
});

step('sign out returns to the sign-in form', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Operator key').waitFor();
  b.assertNoConsoleErrors();
});

step('a tenant-admin key is refused the console with a clear page', async () => {
  const created = await api('POST', `/api/v1/tenants/${TENANT}/api-keys`, OPERATOR_KEY, { name: 'e2e-admin', role: 'tenant-admin' });
  assert.equal(created.status, 201, created.text);
  await b.signIn(created.json.key, 'Operator key');
  await h1('This console is for platform operators').waitFor();
  await b.checkPage('not-operator', WIDE_ONLY);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Operator key').waitFor();
  b.assertNoConsoleErrors();
});

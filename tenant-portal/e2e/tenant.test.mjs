// A tenant's day in the portal, in order, against a real node started from the built jar (modules/app PortalIT):
// sign in with a key, upload a version, deploy 90/10, try it, roll back, manage keys, read usage, billing and audit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { after, before } from 'node:test';
import { Browser, steps, DEMO_KEY, OPERATOR_KEY, SLOW, WIDE, api, eventually, readRepoJson, repoFile } from '@modelplane/web-kit/e2e';

const step = steps();

const MODEL_FILE = repoFile('modules/inference/src/main/resources/io/modelplane/inference/demo/digits.pt');
const MANIFEST = readRepoJson('modules/inference/src/main/resources/io/modelplane/inference/demo/digits-manifest.json');
const SEVEN = readRepoJson('ops/scripts/digit-request.json');
const MODEL_API = '/api/v1/tenants/demo/models/digits';

let b;
let page;
let adminKey;

before(async () => {
  // the demo key is a developer's; managing keys and reading usage need the tenant-admin role
  const created = await api('POST', '/api/v1/tenants/demo/api-keys', OPERATOR_KEY, { name: 'e2e-admin', role: 'tenant-admin' });
  assert.equal(created.status, 201, created.text);
  adminKey = created.json.key;
  b = await Browser.launch();
  page = b.page;
});

after(async () => {
  await b?.close();
});

/** A zip's entries by name, from its central directory (the export streams, so local headers carry no sizes). */
function zipEntries(zip) {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'no end of central directory: not a zip');
  const entries = new Map();
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    entries.set(name, () => (method === 8 ? inflateRawSync(zip.subarray(data, data + size)) : zip.subarray(data, data + size)));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

async function openModel() {
  await b.navigate('Models');
  await page.getByRole('link', { name: 'digits', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'digits' }).waitFor();
}

step('sign in with a tenant-admin key: the overview shows digits ready', async () => {
  await b.goto('');
  await page.getByLabel('API key').waitFor();
  await b.checkPage('sign-in');
  await b.signIn(adminKey);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'digits', exact: true }) });
  await row.getByText('ready', { exact: true }).waitFor({ timeout: SLOW });
  await b.checkPage('overview');
  b.assertNoConsoleErrors();
});

step('the models list links each model to its page', async () => {
  await b.navigate('Models');
  await page.getByRole('link', { name: 'digits', exact: true }).waitFor();
  await b.checkPage('models');
  await page.getByRole('link', { name: 'digits', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'digits' }).waitFor();
  await b.checkPage('model');
  b.assertNoConsoleErrors();
});

step('upload a TorchScript version with a progress bar; the server verifies its sha256', async () => {
  const bytes = readFileSync(MODEL_FILE);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await page.getByRole('link', { name: 'Upload a version' }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await b.checkPage('upload');
  await page.locator('input[type=file]').setInputFiles(MODEL_FILE);
  const manifest = page.getByRole('textbox', { name: 'Manifest (JSON)' });
  if (!(await manifest.isVisible())) {
    await page.getByRole('radio', { name: 'JSON' }).or(page.getByRole('tab', { name: 'JSON' })).click();
  }
  await manifest.fill(JSON.stringify(MANIFEST, null, 2));

  // a slow uplink so that the bar has values between 0 and 100 to show; every value it shows is recorded
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 24 * 1024,
  });
  await page.evaluate(() => {
    window.__progress = [];
    const record = () => document.querySelectorAll('[role=progressbar]').forEach((bar) => {
      const value = Number(bar.getAttribute('aria-valuenow'));
      if (!Number.isNaN(value)) window.__progress.push(value);
    });
    new MutationObserver(record).observe(document.body,
      { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByText(/version 2/i).first().waitFor({ timeout: SLOW });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const progress = await page.evaluate(() => window.__progress);
  assert.ok(progress.some((v) => v > 0 && v < 100), `the bar showed progress on the way: ${progress.join(', ')}`);
  assert.ok(progress.includes(100), `the bar reached 100: ${progress.join(', ')}`);

  const model = await api('GET', MODEL_API, DEMO_KEY);
  const v2 = model.json.versions.find((v) => v.version === 2);
  assert.ok(v2, `version 2 is in ${model.text}`);
  assert.equal(v2.sha256, sha256);
  b.assertNoConsoleErrors();
});

step('deploy 90/10 across versions 1 and 2: the replicas become READY', async () => {
  await openModel();
  await page.getByText(createHash('sha256').update(readFileSync(MODEL_FILE)).digest('hex').slice(0, 12)).first().waitFor();
  await page.getByRole('spinbutton', { name: /version 1\b/i }).fill('90');
  await page.getByRole('spinbutton', { name: /version 2\b/i }).fill('10');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await eventually('the deployment to be 90/10', async () => {
    const d = (await api('GET', MODEL_API, DEMO_KEY)).json.deployment;
    return d?.traffic?.['1'] === 90 && d?.traffic?.['2'] === 10;
  });
  const replicas = page.getByRole('region', { name: 'Replicas' });
  await eventually('both versions\' replicas to show READY', async () =>
    (await replicas.getByText('READY', { exact: true }).count()) >= 2
      && (await replicas.getByText(/LOADING|PENDING/).count()) === 0);
  await b.checkPage('model-deployed');
  b.assertNoConsoleErrors();
});

step('try it: the held-out seven comes out 7, with latency and the equivalent curl', async () => {
  await page.getByRole('link', { name: 'Try it' }).click();
  await page.getByRole('button', { name: 'Send' }).waitFor();
  await b.checkPage('try-it');
  const input = SEVEN.inputs[0];
  await page.getByRole('textbox', { name: input.name }).fill(JSON.stringify(input.data));
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/v2/models/digits') && r.url().endsWith('/infer')),
    page.getByRole('button', { name: 'Send' }).click(),
  ]);
  assert.equal(response.status(), 200, await response.text());
  const logits = (await response.json()).outputs[0].data;
  assert.equal(logits.indexOf(Math.max(...logits)), 7, `logits ${logits}`);
  await page.getByText(/\d+(\.\d+)?\s?ms/).first().waitFor();
  await page.getByText(/curl .*\/v2\/models\/digits/).first().waitFor();
  b.assertNoConsoleErrors();
});

step('roll back after confirming: version 1 takes all traffic and the timeline shows the rollback', async () => {
  await openModel();
  await page.getByRole('button', { name: /roll ?back/i }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: /roll ?back/i }).click();
  await eventually('the deployment to be back at version 1', async () => {
    const d = (await api('GET', MODEL_API, DEMO_KEY)).json.deployment;
    return d?.traffic?.['1'] === 100 && Object.keys(d.traffic).length === 1;
  });
  // the timeline polls the history, which trails the change by the read side's lag: wait, do not reload
  // (a reload every few hundred ms never lets the history load on a busy machine)
  const history = page.getByRole('region', { name: 'History' });
  await history.getByText(/roll(ed)? ?back/i).first().waitFor({ timeout: SLOW });
  b.assertNoConsoleErrors();
});

step('create a key, see it once, revoke it: the revoked key gets 401', async () => {
  await b.navigate('API keys');
  await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
  await b.checkPage('api-keys');
  await page.getByRole('textbox', { name: 'Name' }).fill('e2e-temp');
  await page.getByRole('combobox', { name: 'Role' }).selectOption('predictor');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = await eventually('the new key to be shown', () => page.evaluate(() => {
    const texts = [document.body.innerText, ...[...document.querySelectorAll('input, textarea')].map((e) => e.value)];
    for (const t of texts) {
      const m = /mp_demo\.[0-9a-f]+_[0-9a-f]{64}/.exec(t);
      if (m) return m[0];
    }
    return null;
  }), 20_000);
  const me = await api('GET', '/api/v1/me', key);
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.role, 'predictor');
  await b.checkPage('api-keys-created');
  await page.getByRole('button', { name: 'I have saved it' }).click();

  const row = page.getByRole('row').filter({ hasText: 'e2e-temp' });
  await row.getByRole('button', { name: 'Revoke e2e-temp' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await row.waitFor({ state: 'detached' });
  const status = await page.evaluate(async (k) =>
    (await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${k}` } })).status, key);
  assert.equal(status, 401);
  b.assertNoConsoleErrors([/status of 401/]);
});

step('usage shows the calls in its chart, table and CSV', async () => {
  const calls = 5;
  for (let i = 0; i < calls; i++) {
    const r = await fetch(new URL('/v2/models/digits/infer', page.url()), {
      method: 'POST', headers: { Authorization: `Bearer ${DEMO_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(SEVEN),
    });
    assert.equal(r.status, 200);
  }
  await b.navigate('Usage');
  await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
  // the chart legends are tables too: read the totals table only, and sum the Requests column over digits' versions
  // (the try-it call may have gone to either side of the 90/10 split)
  const totals = page.getByRole('region', { name: 'Usage totals table' });
  const requestsToDigits = async () => {
    let sum = 0;
    for (const row of await totals.getByRole('row').filter({ hasText: /^digits\b/ }).all()) {
      const cells = await row.getByRole('cell').allInnerTexts();
      sum += Number((cells[1] ?? '').replace(/\D/g, ''));
    }
    return sum;
  };
  // usage is metered into SQL every few seconds: give each load time to finish, then ask again
  await eventually('the totals to count the calls to digits', async () => {
    await totals.getByRole('row').filter({ hasText: /^digits\b/ }).first().waitFor({ timeout: 15_000 }).catch(() => {});
    const counted = await requestsToDigits();
    if (counted >= calls + 1) return true; // the try-it call and these
    await page.waitForTimeout(2_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    throw new Error(`the totals table counts ${counted} requests to digits`);
  }, 90_000);
  await page.getByRole('img', { name: /requests/i }).first().waitFor();
  await b.checkPage('usage');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).or(page.getByRole('link', { name: 'Download CSV' })).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /model/i, 'a header line');
  assert.ok(lines.some((l) => l.includes('digits')), csv);
  b.assertNoConsoleErrors();
});

step('billing shows this month\'s statement at a priced plan, its requests line counting the calls, and downloads the CSV', async () => {
  // a plan with prices in euros, so that amounts, the currency and the total are shown non-zero; demo goes back to
  // the default plan at the end
  const plan = await api('POST', '/api/v1/admin/plans', OPERATOR_KEY, {
    id: 'e2e-priced', displayName: 'E2E priced', currency: 'EUR', prices: { monthlyBase: 1250, perMillionRequests: 1_000_000 },
  });
  assert.equal(plan.status, 201, plan.text);
  const moved = await api('PATCH', '/api/v1/tenants/demo', OPERATOR_KEY, { plan: 'e2e-priced' });
  assert.equal(moved.status, 200, moved.text);
  const euros = (cents) => new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(cents / 100);

  const now = new Date();
  const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const monthName = now.toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  await b.navigate('Billing');
  await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Month' }).inputValue(), month, 'this month is picked');
  const lines = page.getByRole('region', { name: 'Line items table' });
  const requestsLine = lines.getByRole('row').filter({ hasText: 'Predict requests' });
  // the try-it call and the usage step's five, all answered without error: at least six billed requests, a cent each
  let billed = 0;
  await eventually('the statement to be priced at the plan and count the calls', async () => {
    await page.getByRole('heading', { level: 2, name: monthName }).waitFor({ timeout: SLOW });
    const quantity = (await requestsLine.getByRole('cell').nth(1).innerText()).replace(/,/g, '');
    billed = Math.round(Number.parseFloat(quantity) * 1_000_000);
    const priced = await page.getByText('Monthly base of plan E2E priced').isVisible();
    if (billed >= 6 && priced) return true;
    await page.reload();
    throw new Error(`the requests line reads "${quantity}", the plan is ${priced ? '' : 'not yet '}E2E priced`);
  });
  assert.match(await requestsLine.getByRole('cell').nth(1).innerText(), /million requests$/);
  assert.equal(await requestsLine.getByRole('cell').nth(2).innerText(), `${euros(1_000_000)} per million requests`);
  assert.equal(await requestsLine.getByRole('cell').nth(3).innerText(), euros(billed));
  const totalCells = await lines.getByRole('row').last().getByRole('cell').allInnerTexts();
  assert.equal(totalCells.at(-1), euros(1250 + billed), 'the total: the base and the requests (compute and memory are free)');
  await b.checkPage('billing');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `billing-demo-${month}.csv`);
  const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.match(csv[0], /^month,tenant,plan,currency,item/, 'the header line');
  const requests = csv.find((l) => l.startsWith(`${month},demo,e2e-priced,EUR,requests,`));
  assert.ok(requests, csv.join('\n'));
  assert.ok(requests.endsWith(`,${billed},${1250 + billed}`), `the amount and total of ${requests}`);
  b.assertNoConsoleErrors();

  assert.equal((await api('PATCH', '/api/v1/tenants/demo', OPERATOR_KEY, { plan: 'default' })).status, 200);
  // the plan counts its tenants from the read side, which trails the change by a moment
  await eventually('the plan to be deleted', async () =>
    (await api('DELETE', '/api/v1/admin/plans/e2e-priced', OPERATOR_KEY)).status === 204);
});

step('the audit page shows the tenant\'s history', async () => {
  await b.navigate('Audit');
  await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
  await page.getByText(/e2e-temp/).first().waitFor({ timeout: SLOW });
  await b.checkPage('audit');
  b.assertNoConsoleErrors();
});

step('export data: the tenant-admin downloads one zip of the models, artifacts, usage and audit', async () => {
  await b.navigate('Overview');
  const exportButton = page.getByRole('button', { name: 'Export data' });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: SLOW }), exportButton.click()]);
  assert.match(download.suggestedFilename(), /^demo-export-\d{8}T\d{6}Z\.zip$/);
  await page.getByText(`Saved as ${download.suggestedFilename()}.`).waitFor();
  const entries = zipEntries(readFileSync(await download.path()));
  for (const name of ['manifest.json', 'tenant.json', 'models/digits/model.json', 'models/digits/deployments.json', 'usage.csv', 'audit.json']) {
    assert.ok(entries.has(name), `${name} in ${[...entries.keys()].join(', ')}`);
  }
  const manifest = JSON.parse(entries.get('manifest.json')().toString('utf8'));
  assert.equal(manifest.tenant, 'demo');
  // the artifact comes out as uploaded (decrypted), byte for byte
  const artifact = [...entries.keys()].find((n) => n.startsWith('models/digits/versions/2/'));
  assert.ok(artifact, [...entries.keys()].join(', '));
  const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
  assert.equal(sha(entries.get(artifact)()), sha(readFileSync(MODEL_FILE)));
  // no secret leaves in the archive: the keys' metadata only
  assert.ok(!entries.get('tenant.json')().toString('utf8').includes(adminKey.split('_').pop()));
  await b.checkPage('export', [WIDE]);
  b.assertNoConsoleErrors();
});

step('sign out forgets the key', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  await b.goto('models');
  await page.getByLabel('API key').waitFor();
  assert.equal(await page.evaluate(() => JSON.stringify(sessionStorage).includes('mp_demo.')), false);
  b.assertNoConsoleErrors();
});

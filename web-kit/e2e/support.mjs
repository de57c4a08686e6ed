// Shared by the apps' browser tests (run with the app's folder as working directory): the node under test,
// a Chromium per test file, and the checks every page gets (no serious or critical axe violation, no console
// error, a screenshot at 1280 and 390 px under the app's target/screenshots/).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

/** The app under test, e.g. http://127.0.0.1:8080/portal/ (APP_URL; PORTAL_URL for the portal's runs). */
export const APP_URL = (process.env.APP_URL || required('PORTAL_URL')).replace(/\/?$/, '/');
export const ORIGIN = new URL(APP_URL).origin;
export const OPERATOR_KEY = required('OPERATOR_KEY');
/** Keycloak mode's run (WebAppsKeycloakIT): its spec runs, the API-key ones need the demo key. */
export const KEYCLOAK = process.env.E2E_AUTH === 'keycloak';
export const DEMO_KEY = KEYCLOAK ? process.env.DEMO_KEY : required('DEMO_KEY');
export const REPO = new URL('../../', import.meta.url);
const SCREENSHOTS = new URL('target/screenshots/', pathToFileURL(`${process.cwd()}/`));
// the flags that work on the build machines (no sandbox as root, nothing reaching out)
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };
/** How long a page may take to show what a step waits for (a model load can take seconds). */
export const SLOW = 60_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the browser tests run against a node (see modules/app PortalIT and ConsoleIT)`);
  }
  return value;
}

export function repoFile(path) {
  return new URL(path, REPO).pathname;
}

export function readRepoJson(path) {
  return JSON.parse(readFileSync(repoFile(path), 'utf8'));
}

/** Calls the API as a script would (not through the portal): status and parsed body. */
export async function api(method, path, key, body) {
  const response = await fetch(ORIGIN + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, json, text };
}

/** Polls {@code check} until it returns a truthy value; fails with {@code what} after {@code timeout} ms. */
export async function eventually(what, check, timeout = SLOW) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${timeout} ms${last ? `: ${last.message}` : ''}`);
}

/**
 * The tests of one file as steps of one story: after a step fails, the later ones are skipped (they would
 * only time out on a page the failed step never reached).
 */
export function steps() {
  let failed = null;
  return (name, fn) => test(name, async (t) => {
    if (failed) {
      t.skip(`after the failed step "${failed}"`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      throw e;
    }
  });
}

/** A browser with one page; console errors and page errors are collected for {@link Browser#assertNoConsoleErrors}. */
export class Browser {
  static async launch() {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: FLAGS,
    });
    const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true });
    const page = await context.newPage();
    return new Browser(browser, context, page);
  }

  constructor(browser, context, page) {
    this.browser = browser;
    this.context = context;
    this.page = page;
    this.consoleErrors = [];
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(`${m.text()} [${m.location().url}]`);
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`uncaught: ${e.message}`));
    // Chromium's console line for a refused fetch names no URL: these do
    page.on('response', (r) => {
      if (r.status() >= 400) this.consoleErrors.push(`(${r.request().method()} ${r.url()} answered ${r.status()})`);
    });
  }

  /**
   * No console error since the last check, except those {@code allowed} (a refusal the step provoked on
   * purpose: Chromium logs every 4xx answer of a fetch).
   */
  assertNoConsoleErrors(allowed = []) {
    const errors = this.consoleErrors.filter((e) => !allowed.some((a) => a.test(e)));
    // the answers alone are context for a console error, not errors themselves
    const failing = errors.some((e) => !e.startsWith('('));
    this.consoleErrors = [];
    assert.ok(!failing, `console errors:\n${errors.join('\n')}`);
  }

  async goto(path) {
    await this.page.goto(new URL(path.replace(/^\//, ''), APP_URL).href);
  }

  /** Signs in with a key on the sign-in form (the field labelled {@code label}) and waits for the main navigation. */
  async signIn(key, label = 'API key') {
    const page = this.page;
    await this.goto('');
    await page.getByLabel(label).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /**
   * Fills Keycloak's own login form (its theme's field ids) once the app has sent the browser there, and submits
   * it. With organizations on, Keycloak asks for the username first and for the password on a second page.
   */
  async keycloakLogin(user, password) {
    const page = this.page;
    await page.waitForURL((url) => url.origin !== ORIGIN);
    await page.locator('#username').fill(user);
    if (!(await page.locator('#password').isVisible())) {
      await page.locator('#kc-login').click();
    }
    await page.locator('#password').fill(password);
    await page.locator('#kc-login').click();
  }

  /** Follows a link of the main navigation (opening it first on a narrow screen, where it is folded away). */
  async navigate(name) {
    const page = this.page;
    const link = page.getByRole('navigation').getByRole('link', { name, exact: true });
    if (!(await link.isVisible())) {
      await page.getByRole('button', { name: /navigation/i }).click();
    }
    await link.click();
  }

  /**
   * The checks every page gets: axe-core finds no serious or critical violation at each width (1280 px and
   * 390 px unless told), and a full-page screenshot at each width is saved as target/screenshots/<name>-<width>.png.
   */
  async checkPage(name, sizes = [WIDE, NARROW]) {
    const page = this.page;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    for (const size of sizes) {
      await page.setViewportSize(size);
      await page.waitForTimeout(300); // layout and charts follow the resize
      await page.screenshot({ path: new URL(`${name}-${size.width}.png`, SCREENSHOTS).pathname, fullPage: true });
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        [], `axe on ${name} at ${size.width} px`);
    }
    await page.setViewportSize(WIDE);
  }

  async close() {
    await this.browser.close();
  }
}

// Shared helpers of the browser tests: launch Debian's Chromium headless, sign in, assert.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

/** The base URL from the command line, e.g. http://127.0.0.1:8080 */
export function baseUrl() {
  const base = process.argv[2];
  if (!base) {
    console.error('usage: node <script>.mjs <base-url>');
    process.exit(2);
  }
  return base.replace(/\/$/, '');
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

/** A new context (its own cookies) and page, Chinese unless told. */
export async function newPage(browser, { viewport = DESKTOP, isMobile = false } = {}) {
  const context = await browser.newContext({ viewport, isMobile, hasTouch: isMobile, locale: 'zh-CN' });
  // Generous: CI runs these beside the other tests on two cores, against a debug build.
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Refused requests (401, 403, 404) are logged by Chromium too; only script errors count.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.jsErrors = errors;
  return page;
}

/** Signs in through the form as a demo user (password jiesu-demo). */
export async function signIn(page, base, name, next = '') {
  await page.goto(`${base}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel(/用户名|User name/).fill(name);
  await page.getByLabel(/密码|Password/).fill('jiesu-demo');
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.getByRole('button', { name: /^(登录|Sign in)$/ }).click(),
  ]);
}

export function check(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Runs `body(browser, base)`, prints what failed, exits non-zero on failure. */
export async function run(name, body) {
  const base = baseUrl();
  const browser = await launch();
  try {
    await body(browser, base);
    console.log(`ok: ${name}`);
  } catch (e) {
    console.error(`FAILED: ${name}\n${e && e.stack ? e.stack : e}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

/** The visible form fields without a label (a <label for>, a wrapping label or aria-label). */
export async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)));
}

// Shared by the centre's pages' browser tests: Chromium as STACK.md says, sign-in through the
// page, and a list of the console errors a page printed.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A page signed in as `name` (demo password), opened at `path`, with its console errors kept.
export async function signedIn(b, base, name, path, viewport) {
  const context = await b.newContext({ viewport: viewport || { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text() + ' @ ' + JSON.stringify(m.location()));
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/login?next=' + encodeURIComponent(path));
  await page.fill('#name', name);
  await page.fill('#password', 'jiesu-demo');
  await Promise.all([page.waitForURL(base + path), page.click('form button[type=submit]')]);
  return { context, page, errors };
}

export function check(ok, message) {
  if (!ok) {
    throw new Error(message);
  }
}

// Runs `body(base)`; prints the failure and exits non-zero on any error.
export async function main(body) {
  const base = (process.argv[2] || '').replace(/\/$/, '');
  if (!base) {
    console.error('usage: node <script> <base-url>');
    process.exit(2);
  }
  try {
    await body(base);
    console.log('ok');
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  }
}

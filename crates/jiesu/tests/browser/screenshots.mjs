// Screenshots of every page at phone (390x844) and desktop (1366x900) size, written to
// docs/screenshots/<page>-{phone,desktop}.png. Run against a demo server:
//   jiesu serve --data-dir /tmp/jiesu-shots &   # first start loads the demo
//   node crates/jiesu/tests/browser/screenshots.mjs http://127.0.0.1:8080
// Add a row to PAGES for a new page: who signs in, where to go, what to do before the shot.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseUrl, launch, newPage, signIn, PHONE, DESKTOP } from './lib.mjs';

const out = join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/screenshots');

export const PAGES = [
  { name: 'login', path: '/login' },
  { name: 'ask', path: '/' },
  {
    name: 'ask-street', path: '/',
    prepare: async (p) => {
      await p.getByLabel('问题描述').fill('小区门口路灯连续三晚不亮，老人晚上出门不安全。');
      await p.getByRole('button', { name: '下一步' }).first().click();
      await p.getByPlaceholder('按名称查找街道').fill('北下关');
      await p.getByPlaceholder('按名称查找街道').press('Enter');
    },
  },
  {
    name: 'track', path: '/track?number=20261123000004',
    prepare: async (p) => {
      await p.getByLabel('手机号').fill('13911113333');
      await p.getByRole('button', { name: '查询' }).click();
      await p.getByTestId('status').waitFor();
    },
  },
  {
    name: 'agent', user: 'agent1', path: '/agent?phone=13911113333',
    prepare: async (p) => {
      await p.locator('#kb-q').fill('公积金贷款');
      await p.locator('#kb-results button').first().waitFor();
      await p.keyboard.press('Alt+1');
      await p.getByLabel('诉求内容').fill('海淀北下关交大东路路灯不亮，还闻到燃气味');
      await p.keyboard.press('Alt+I');
      await p.getByTestId('reasons').locator('li').first().waitFor();
    },
  },
  { name: 'unit', user: 'beixiaguan1', path: '/unit' },
  {
    name: 'dashboard', user: 'analyst1', path: '/dashboard',
    prepare: async (p) => {
      await p.locator('#dashboard[data-state="ready"]').waitFor({ timeout: 20000 });
    },
  },
  {
    name: 'dispatch', user: 'dispatcher1', path: '/dispatch',
    prepare: async (p) => {
      await p.locator('#dispatch[data-state="ready"]').waitFor();
    },
  },
  {
    name: 'supervise', user: 'supervisor1', path: '/supervise',
    prepare: async (p) => {
      await p.locator('#supervise[data-state="ready"]').waitFor();
    },
  },
  { name: 'reports', user: 'analyst1', path: '/reports' },
  {
    name: 'knowledge', user: 'editor1', path: '/knowledge',
    prepare: async (p) => {
      await p.locator('#knowledge[data-state="ready"]').waitFor();
      await p.locator('#kb-entries button[data-entry]').first().click();
      await p.locator('#kb-versions li').first().waitFor();
    },
  },
];

const base = baseUrl();
const only = process.argv.slice(3);
mkdirSync(out, { recursive: true });
const browser = await launch();
try {
  for (const spec of PAGES.filter((s) => only.length === 0 || only.includes(s.name))) {
    for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      const page = await newPage(browser, { viewport, isMobile: size === 'phone' });
      if (spec.user) await signIn(page, base, spec.user);
      await page.goto(base + spec.path);
      if (spec.prepare) await spec.prepare(page);
      const file = join(out, `${spec.name}-${size}.png`);
      await page.screenshot({ path: file, fullPage: size === 'desktop' ? false : true });
      console.log(file);
      await page.context().close();
    }
  }
} finally {
  await browser.close();
}

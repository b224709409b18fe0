// Sign-in and roles: a page asks for sign-in, the header shows the user and only the pages the
// role may open, another role's page answers 403, the language switch sticks, sign-out ends it.
import { run, newPage, signIn, check } from './lib.mjs';

await run('sign-in, roles and language', async (browser, base) => {
  const page = await newPage(browser);
  const res = await page.goto(`${base}/agent`);
  check(new URL(page.url()).pathname === '/login', `redirected to sign-in, at ${page.url()}`);
  check(res.ok(), 'the sign-in page loads');

  await page.getByLabel('用户名').fill('agent1');
  await page.getByLabel('密码').fill('wrong');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('alert').filter({ hasText: '用户名或密码不正确' }).waitFor();

  await signIn(page, base, 'agent1', '/agent');
  check(new URL(page.url()).pathname === '/agent', `back at /agent, at ${page.url()}`);
  await page.getByTestId('user').filter({ hasText: 'agent1 · 话务员' }).waitFor();
  const nav = await page.getByRole('navigation').getByRole('link').allTextContents();
  check(nav.includes('坐席工作台') && !nav.includes('单位工单'), `agent's navigation: ${nav}`);

  const refused = await page.goto(`${base}/unit`);
  check(refused.status() === 403, `an agent may not open /unit: ${refused.status()}`);
  await page.getByRole('heading', { name: '无权访问' }).waitFor();

  // The API accepts the page's cookie.
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
  check(me.name === 'agent1', `API sees the cookie: ${JSON.stringify(me)}`);

  await page.goto(`${base}/agent`);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByTestId('user').filter({ hasText: 'agent1 · Agent' }).waitFor();
  check(new URL(page.url()).pathname === '/agent', 'switching language stays on the page');
  await page.reload();
  await page.getByRole('link', { name: 'Agent workstation' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/login');
  await page.goto(`${base}/agent`);
  check(new URL(page.url()).pathname === '/login', 'signed out: asked to sign in again');
  check(page.jsErrors.length === 0, `no script errors: ${page.jsErrors}`);
});

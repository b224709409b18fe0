// An agent takes a call from a known caller (their past orders show), finds the answer in the
// knowledge base as they type, picks it with Alt+1, reads it out and records "answered" citing
// the entry with Alt+A; an editor's new entry arrives as a live notice meanwhile.
import { run, newPage, signIn, check, unlabelled } from './lib.mjs';

await run('agent answers a call from the knowledge base', async (browser, base) => {
  const page = await newPage(browser);
  await signIn(page, base, 'agent1', '/agent?phone=13911113333');
  await page.getByTestId('past').getByText('噪音扰民').waitFor();
  check((await unlabelled(page)).length === 0, `every field labelled: ${await unlabelled(page)}`);

  // Keyboard: "/" focuses the search from anywhere.
  await page.locator('h1').click();
  await page.keyboard.press('/');
  check(await page.locator('#kb-q').evaluate((e) => document.activeElement === e), '/ focuses the search');
  await page.keyboard.type('公积金贷款');
  await page.locator('#kb-results button').first().waitFor();
  const first = (await page.locator('#kb-results button').first().textContent()).replace(/^1\s*/, '').trim();
  await page.keyboard.press('Alt+1');
  await page.getByTestId('readout').filter({ hasText: '公积金' }).waitFor();
  check((await page.locator('#kb-entry-title').textContent()).trim() === first, 'Alt+1 picks the first result');

  // A live notice: an editor publishes an entry while the agent works.
  await page.locator('#notices[data-live="on"]').waitFor({ state: 'attached' });
  const editor = await newPage(browser);
  await signIn(editor, base, 'editor1');
  const created = await editor.evaluate(async () => {
    const res = await fetch('/api/v1/knowledge/entries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: '供暖季开始时间', answer: '本市供暖季自11月15日开始。', publish: true }),
    });
    return { status: res.status, body: await res.json() };
  });
  check(created.status === 201, `editor created an entry: ${JSON.stringify(created)}`);
  await page.locator('#notices').getByText('供暖季开始时间').waitFor();

  await page.keyboard.press('Alt+A');
  const status = page.locator('#answer-status');
  await status.filter({ hasText: '已记录直接答复' }).waitFor();
  const number = (await status.textContent()).match(/\d{14}/)[0];
  const ticket = await page.evaluate(async (n) => (await fetch(`/api/v1/tickets/${n}`)).json(), number);
  check(ticket.status === 'answered', `the call is answered: ${ticket.status}`);
  check(ticket.caller.phone === '13911113333', 'the caller is the incoming number');
  check(ticket.answer_entry && JSON.stringify(ticket.answer_entry).includes('KB'), `cites the entry: ${JSON.stringify(ticket.answer_entry)}`);

  // Nothing answers a question: the agent reports it for the editors.
  await page.locator('#kb-q').fill('xyzzyplugh');
  await page.getByText('没有找到相关条目').waitFor();
  await page.getByRole('button', { name: '报告知识缺失' }).click();
  await status.filter({ hasText: '已报告知识缺失' }).waitFor();
  check(page.jsErrors.length === 0, `no script errors: ${page.jsErrors}`);
});

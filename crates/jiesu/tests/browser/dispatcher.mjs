// The dispatcher dispatches from the queue in one click: a ticket whose category and street
// the rules know waits in the queue with its proposed unit; one click dispatches it there and
// it leaves the queue. Then a returned ticket is upheld and re-dispatched to a unit typed by name.
import { run, newPage, signIn, check, unlabelled } from './lib.mjs';

await run('a dispatcher dispatches from the queue in one click', async (browser, base) => {
  const page = await newPage(browser);
  const errors = page.jsErrors;
  await signIn(page, base, 'dispatcher1', '/dispatch');
  // A new ticket recorded through the API with the page's own session (category 城市公共设施,
  // street 北下关街道): not automatically dispatched, so it waits for the dispatcher.
  const created = await page.evaluate(async () => {
    const r = await fetch('/api/v1/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'phone', title: '井盖缺失', content: '北下关街道大柳树路口井盖丢失，夜里很危险。',
        caller: { name: '张先生', phone: '13911110001' }, street_code: '110108007', category_code: '010204',
      }),
    });
    return { status: r.status, body: await r.json() };
  });
  check(created.status === 201, 'ticket not created: ' + JSON.stringify(created));
  const number = created.body.number;
  if (created.body.status !== 'received') {
    throw new Error('the ticket was dispatched automatically; pick a category that waits: ' + created.body.status);
  }
  await page.reload();
  await page.waitForSelector('#dispatch[data-state="ready"]');
  const card = page.locator(`#dispatch-queue li[data-number="${number}"]`);
  await card.waitFor();
  const bare = await unlabelled(page);
  check(bare.length === 0, `form fields without a label: ${bare}`);
  const button = card.locator('button.dispatch');
  check((await button.count()) === 1, 'no one-click dispatch button for the proposed unit');
  await button.click();
  await card.locator('.result.ok').waitFor();
  const text = await card.locator('.result').textContent();
  check(/→/.test(text), 'no dispatch confirmation: ' + text);
  const after = await page.evaluate(async (id) => (await (await fetch('/api/v1/tickets/' + id)).json()), created.body.id);
  check(after.status === 'dispatched' && after.lead_unit, 'ticket not dispatched: ' + after.status);
  await page.waitForFunction((n) => !document.querySelector(`#dispatch-queue li[data-number="${n}"]`), number, { timeout: 10000 });

  // The demo's returned order (暖气不热, returned by 城管委): upheld and sent to the heating
  // company typed by name.
  await page.getByRole('tab', { name: /退单审核/ }).click();
  const returned = page.locator('#dispatch-returns li.work-card').first();
  await returned.waitFor();
  const returnedId = await returned.getAttribute('data-ticket');
  await returned.locator('input[name=unit]').fill('北京市热力集团有限责任公司');
  await returned.locator('button.uphold').click();
  await returned.locator('.result').waitFor();
  const upheld = await page.evaluate(async (id) => (await (await fetch('/api/v1/tickets/' + id)).json()), returnedId);
  check(upheld.status === 'dispatched' && upheld.lead_unit === 'heat',
    `re-dispatched to heat: ${upheld.status} ${upheld.lead_unit} (${await returned.locator('.result').textContent()})`);
  check(errors.length === 0, 'console errors:\n' + errors.join('\n'));
});

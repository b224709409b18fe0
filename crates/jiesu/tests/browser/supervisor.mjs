// The supervisor presses an overdue order: the demo's overdue orders are listed with their late
// limit, one click on 督办 raises the order's supervision level, as the API then shows.
import { run, newPage, signIn, check, unlabelled } from './lib.mjs';

await run('a supervisor supervises an overdue order', async (browser, base) => {
  const page = await newPage(browser);
  await signIn(page, base, 'supervisor1', '/supervise');
  await page.waitForSelector('#supervise[data-state="ready"]');
  const card = page.locator('#supervise-overdue li.work-card').first();
  await card.waitFor();
  const bare = await unlabelled(page);
  check(bare.length === 0, `form fields without a label: ${bare}`);
  const late = await card.locator('.badge.overdue').count();
  check(late >= 1, 'an overdue order without its overdue badge');
  const id = await card.getAttribute('data-ticket');
  const before = await page.evaluate(async (id) => (await (await fetch('/api/v1/tickets/' + id)).json()), id);
  await card.locator('input[name=reason]').fill('请今日内办结并回复');
  await card.locator('button.supervise').click();
  await card.locator('.result.ok').waitFor();
  const after = await page.evaluate(async (id) => (await (await fetch('/api/v1/tickets/' + id)).json()), id);
  check(after.supervision_level === before.supervision_level + 1,
    `supervision level ${before.supervision_level} → ${after.supervision_level}`);
  const note = after.events.map((e) => JSON.stringify(e)).find((e) => e.includes('请今日内办结并回复'));
  check(note, 'the supervision note is not in the order history');
  check(page.jsErrors.length === 0, `no script errors: ${page.jsErrors}`);
});

// The knowledge-base editor edits an entry and sees the new version in its history, with the
// change shown in the difference.
import { run, newPage, signIn, check, unlabelled } from './lib.mjs';

await run('an editor edits an entry and sees the new version', async (browser, base) => {
  const page = await newPage(browser);
  const errors = page.jsErrors;
  await signIn(page, base, 'editor1', '/knowledge');
  await page.waitForSelector('#knowledge[data-state="ready"]');
  const first = page.locator('#kb-entries button[data-entry]').first();
  await first.waitFor();
  const id = await first.getAttribute('data-entry');
  await first.click();
  await page.waitForSelector('#kb-versions li');
  const bare = await unlabelled(page);
  check(bare.length === 0, `form fields without a label: ${bare}`);
  const before = await page.locator('#kb-versions li').count();
  const answer = page.locator('#kb-f-answer');
  const added = '（更新：也可拨打12345热线咨询。）';
  await answer.fill((await answer.inputValue()) + added);
  await page.fill('#kb-f-note', '补充咨询渠道');
  await page.click('#kb-save');
  await page.waitForFunction((n) => document.querySelectorAll('#kb-versions li').length === n + 1, before, { timeout: 10000 });
  const newest = await page.locator('#kb-versions li').first().textContent();
  check(newest.includes('v' + (before + 1)) && newest.includes('补充咨询渠道'), 'newest version line: ' + newest);
  await page.waitForSelector('#kb-diff tr[data-field="answer"] ins');
  const inserted = await page.locator('#kb-diff tr[data-field="answer"] ins').allTextContents();
  check(inserted.join('').includes('12345'), 'the difference does not show the added text: ' + inserted.join('|'));
  const stored = await page.evaluate(async (id) => (await (await fetch('/api/v1/knowledge/entries/' + id)).json()), id);
  check(stored.version === before + 1 && stored.answer.endsWith(added), 'stored entry: v' + stored.version);
  check(errors.length === 0, 'console errors:\n' + errors.join('\n'));
});

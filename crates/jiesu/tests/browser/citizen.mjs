// A citizen on a phone (390x844) sends a request twice, once choosing district and street (the
// street found by name) and once saying "I don't know" and typing the address, gets the order
// numbers, and follows the first by number and phone.
import { run, newPage, check, unlabelled, PHONE } from './lib.mjs';

await run('citizen form on a phone', async (browser, base) => {
  const page = await newPage(browser, { viewport: PHONE, isMobile: true });
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: '我要反映问题' }).waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= PHONE.width, `no sideways scrolling on a phone: ${width}px`);
  const fontSize = await page.getByLabel('问题描述').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  check(fontSize >= 18, `large type: ${fontSize}px`);

  // Step 1: one step at a time; the next step is hidden until this one is filled.
  check(!(await page.getByLabel('手机号').isVisible()), 'step 3 hidden at first');
  await page.getByRole('button', { name: '下一步' }).first().click();
  check(await page.getByLabel('问题描述').evaluate((e) => document.activeElement === e),
    'an empty description keeps the citizen on step 1');
  await page.getByLabel('问题描述').fill('小区门口路灯连续三晚不亮，老人晚上出门不安全。');
  await page.getByRole('button', { name: '下一步' }).first().click();

  // Step 2: find the street by name; the district follows.
  await page.getByPlaceholder('按名称查找街道').fill('北下关');
  await page.getByPlaceholder('按名称查找街道').press('Enter');
  check(await page.getByLabel('区', { exact: true }).inputValue() === '110108', 'district filled from the street');
  check(await page.getByLabel('街道（乡镇）').inputValue() === '110108007', 'street chosen by name');
  await page.getByLabel('详细地址').fill('大柳树路口');
  await page.locator('fieldset[data-step="2"]').getByRole('button', { name: '下一步' }).click();

  // Step 3.
  await page.getByLabel('手机号').fill('13800001111');
  await page.getByRole('button', { name: '提交' }).click();
  await page.getByRole('heading', { name: '已收到您的诉求' }).waitFor();
  const first = (await page.getByTestId('number').textContent()).trim();
  check(/^\d{14}$/.test(first), `an order number: ${first}`);

  // Again, without a street.
  await page.getByRole('link', { name: '再反映一个问题' }).click();
  await page.getByLabel('问题描述').fill('楼下餐馆油烟很大，窗户都不敢开。');
  await page.getByRole('button', { name: '下一步' }).first().click();
  await page.getByLabel('不清楚，我直接填写地址').check();
  check(!(await page.getByLabel('街道（乡镇）').isVisible()), 'the cascade hides when skipped');
  await page.locator('fieldset[data-step="2"]').getByRole('button', { name: '下一步' }).click();
  check(await page.getByLabel('详细地址').evaluate((e) => document.activeElement === e),
    'skipping asks for the address');
  await page.getByLabel('详细地址').fill('朝阳区望京西园三区');
  await page.locator('fieldset[data-step="2"]').getByRole('button', { name: '下一步' }).click();
  await page.getByLabel('手机号').fill('13800002222');
  await page.getByRole('button', { name: '提交' }).click();
  await page.getByRole('heading', { name: '已收到您的诉求' }).waitFor();
  const second = (await page.getByTestId('number').textContent()).trim();
  check(/^\d{14}$/.test(second) && second !== first, `a second number: ${second}`);

  // Follow the first: a wrong phone finds nothing; the right one shows the status.
  await page.goto(`${base}/track?number=${first}`);
  check(await page.getByLabel('工单号').inputValue() === first, 'the number is filled in');
  await page.getByLabel('手机号').fill('13800002222');
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('alert').filter({ hasText: '没有找到' }).waitFor();
  await page.getByLabel('手机号').fill('13800001111');
  await page.getByRole('button', { name: '查询' }).click();
  const status = (await page.getByTestId('status').textContent()).trim();
  check(['已受理', '已派单'].includes(status), `status shown: ${status}`);
  await page.getByText('小区门口路灯连续三晚不亮').waitFor();
  await page.getByRole('listitem').filter({ hasText: '受理' }).first().waitFor();
  check((await unlabelled(page)).length === 0, `every field labelled: ${await unlabelled(page)}`);

  // Every field of the form has a label, at every step; the form is there in English too.
  await page.goto(`${base}/`);
  for (let step = 1; step <= 3; step += 1) {
    const missing = await unlabelled(page);
    check(missing.length === 0, `step ${step}: every field labelled: ${missing}`);
    if (step === 1) await page.getByLabel('问题描述').fill('路灯不亮很多天了');
    if (step < 3) await page.locator(`fieldset[data-step="${step}"]`).getByRole('button', { name: '下一步' }).click();
  }
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Tell us about a problem' }).waitFor();
  await page.getByLabel('What happened').waitFor();
  check(page.jsErrors.length === 0, `no script errors: ${page.jsErrors}`);
});

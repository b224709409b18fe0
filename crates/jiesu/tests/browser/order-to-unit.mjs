// An agent records an order with the assistant's help (place and reasons filled in), a
// dispatcher sends it to the street office, and the unit, signed in in its own browser
// context, finds it in its inbox with the phone masked, acknowledges it and replies; another
// unit never sees it.
import { run, newPage, signIn, check, unlabelled } from './lib.mjs';

await run('an agent records an order and it reaches the unit inbox', async (browser, base) => {
  const agent = await newPage(browser);
  await signIn(agent, base, 'agent1', '/agent?phone=13700001234');
  await agent.getByTestId('no-past').waitFor();
  await agent.getByLabel('诉求内容').fill('海淀区北下关街道大柳树路口井盖破损，有人差点掉进去，请尽快处理。');
  await agent.keyboard.press('Alt+I');
  await agent.getByTestId('reasons').getByText('北下关街道').waitFor();
  check(await agent.getByLabel('街道（乡镇）').inputValue() === '110108007', 'the assistant chose the street');
  check(await agent.getByLabel('来电人称呼').evaluate((e) => e.form.elements.phone.value) === '13700001234',
    'the caller number is pre-filled');
  await agent.getByLabel('来电人称呼').fill('李先生');
  await agent.keyboard.press('Control+Enter');
  const status = agent.locator('#order-status');
  await status.filter({ hasText: '工单已登记' }).waitFor();
  const number = await status.getAttribute('data-number');
  const id = await status.getAttribute('data-id');
  check(/^\d{14}$/.test(number), `an order number: ${number}`);

  // A dispatcher sends it on (unless the rules already did).
  const dispatcher = await newPage(browser);
  await signIn(dispatcher, base, 'dispatcher1');
  const sent = await dispatcher.evaluate(async (ticketId) => {
    const t = await (await fetch(`/api/v1/tickets/${ticketId}`)).json();
    if (t.status !== 'received') return t;
    const res = await fetch(`/api/v1/tickets/${ticketId}/dispatch`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lead_unit: '110108007', note: '请尽快处理' }),
    });
    return res.json();
  }, id);
  check(sent.status === 'dispatched' && sent.lead_unit === '110108007', `dispatched: ${JSON.stringify(sent).slice(0, 200)}`);

  // The unit, in its own context.
  const unit = await newPage(browser);
  await signIn(unit, base, 'beixiaguan1');
  check(new URL(unit.url()).pathname === '/unit', `a unit lands on its inbox: ${unit.url()}`);
  const order = unit.locator(`li.order[data-number="${number}"]`);
  await order.waitFor();
  check((await order.getByTestId('phone').textContent()).trim() === '137****1234', 'the phone is masked');
  check(!(await unit.content()).includes('13700001234'), 'the full phone is nowhere on the page');
  check(['ontime', 'warned', 'overdue'].includes(await order.getAttribute('data-state')), 'coloured by deadline');
  await order.getByRole('button', { name: '签收' }).click();
  await unit.locator('#unit-status').filter({ hasText: number }).waitFor();
  const again = unit.locator(`li.order[data-number="${number}"]`);
  await again.getByText('办理中').waitFor();
  // It needs longer: the unit asks for three more working days.
  await again.locator('summary', { hasText: '申请延期' }).click();
  await again.getByLabel('延期天数').fill('3');
  await again.getByLabel('延期理由').fill('需协调物业更换井盖，材料在途');
  await again.getByRole('button', { name: '申请延期' }).click();
  await unit.locator(`li.order[data-number="${number}"]`).getByTestId('extension').filter({ hasText: '3' }).waitFor();
  await again.locator('summary', { hasText: '回复办理结果' }).click();
  check((await unlabelled(unit)).length === 0, `every field labelled: ${await unlabelled(unit)}`);
  await again.getByLabel('办理结果', { exact: true }).fill('已更换井盖，现场已恢复安全。');
  await again.getByRole('button', { name: '回复办理结果' }).click();
  // A replied order leaves the inbox once the list reloads.
  await unit.locator(`li.order[data-number="${number}"]`).waitFor({ state: 'detached' });
  await unit.locator('#unit-status').filter({ hasText: number }).waitFor();

  // An order that is not the unit's own goes back with a reason and stays listed as returned.
  const demo = unit.locator('li.order', { has: unit.getByRole('button', { name: '签收' }) }).first();
  const demoNumber = await demo.getAttribute('data-number');
  await demo.locator('summary', { hasText: '退回' }).click();
  await demo.getByLabel('退回理由').fill('该路段属市政道路，不属本街道管辖');
  await demo.getByRole('button', { name: '退回' }).click();
  await unit.locator(`li.order[data-number="${demoNumber}"]`).getByText('退回重派中').waitFor();

  // Another unit does not see it.
  const other = await newPage(browser);
  await signIn(other, base, 'cgw1');
  check(await other.locator(`li.order[data-number="${number}"]`).count() === 0, 'another unit does not see it');

  // The citizen's tracking page shows the reply.
  const citizen = await newPage(browser);
  await citizen.goto(`${base}/track?number=${number}`);
  await citizen.getByLabel('手机号').fill('13700001234');
  await citizen.getByRole('button', { name: '查询' }).click();
  await citizen.getByText('已更换井盖').waitFor();
  for (const p of [agent, dispatcher, unit, other, citizen]) {
    check(p.jsErrors.length === 0, `no script errors: ${p.jsErrors}`);
  }
});

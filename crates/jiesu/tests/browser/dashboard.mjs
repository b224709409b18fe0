// The dashboard renders its charts and map: an analyst signs in and opens /dashboard; every
// chart has a canvas with something drawn on it, the map shows all 16 districts, and the page
// prints no console error.
import { run, newPage, signIn, check, DESKTOP } from './lib.mjs';

await run('the dashboard renders its charts and map', async (browser, base) => {
  const page = await newPage(browser, { viewport: DESKTOP });
  const errors = page.jsErrors;
  await signIn(page, base, 'analyst1', '/dashboard');
  await page.waitForSelector('#dashboard[data-state="ready"]', { timeout: 20000 });
  for (const id of ['volume-chart', 'hot-chart', 'ranking-chart', 'map-chart']) {
    const drawn = await page.evaluate((id) => {
      const canvas = document.querySelector('#' + id + ' canvas');
      if (!canvas || !canvas.width || !canvas.height) {
        return -1;
      }
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) {
        if (data[i] !== 0) painted++;
      }
      return painted;
    }, id);
    check(drawn > 500, `#${id}: no canvas or nothing drawn (${drawn} painted pixels)`);
  }
  const map = await page.evaluate(() => {
    const option = window.jiesuDashboard.charts['map-chart'].getOption();
    return { type: option.series[0].type, names: option.series[0].data.map((d) => d.name) };
  });
  check(map.type === 'map', 'the map chart is not a map: ' + map.type);
  check(new Set(map.names).size === 16, 'the map does not show 16 districts: ' + map.names.join(','));
  check(map.names.includes('朝阳区') && map.names.includes('延庆区'), 'district names: ' + map.names.join(','));
  const alerts = await page.locator('#alerts-list li').count();
  check(alerts >= 1, 'the alerts panel is empty (not even "no alerts")');
  check(errors.length === 0, 'console errors:\n' + errors.join('\n'));
});

// 大屏 the analysts' and leaders' dashboard: volume over time, hot topics with their growth,
// spike alerts (live), the street ranking and the map of Beijing's districts coloured by volume.
//
// Reads the analytics API (/api/v1/analytics/..., /api/v1/alerts) with the page's session
// cookie, draws with the embedded Apache ECharts, refreshes every minute and on every alert
// pushed on /api/v1/notices. The page element #dashboard carries:
//   data-now     the server clock (RFC 3339), so that a server in virtual time is shown right;
//   data-at      optional `at=` for the hot topics and spikes (a past moment, for demos);
//   data-geojson the URL of the districts' GeoJSON.
// For tests and the curious, window.jiesuDashboard holds the charts and a `ready` promise that
// resolves after the first complete drawing.
(function () {
  'use strict';

  const root = document.getElementById('dashboard');
  if (!root || typeof echarts === 'undefined') {
    return;
  }

  const lang = (document.documentElement.lang || 'zh-CN').toLowerCase().startsWith('en') ? 'en' : 'zh';
  const T = {
    zh: {
      volume: '受理量', hot: '热点诉求', alerts: '激增预警', ranking: '街乡镇受理量排名',
      map: '各区受理量', count: '件', previous: '上一时段', current: '本时段', growth: '增长',
      baseline: '近四周同期均值', none: '暂无数据', noAlerts: '暂无预警', failed: '数据暂不可用',
      newTopic: '新增', updated: '更新于', expected: '预期', hour: '近24小时', day: '近30天',
      windowHour: '上一小时', windowDay: '昨日', windowWeek: '上周', all: '合计', terms: '热词',
      live: '实时', district: '区', month: '月份', total: '总量', z: 'z',
      channel: { phone: '电话', web: '网站', wechat: '微信', app: 'App', letter: '信件', api: '接口' },
    },
    en: {
      volume: 'Requests received', hot: 'Hot topics', alerts: 'Spike alerts', ranking: 'Streets by volume',
      map: 'Volume by district', count: '', previous: 'previous', current: 'this window', growth: 'growth',
      baseline: '4-week mean', none: 'No data yet', noAlerts: 'No alerts', failed: 'Data unavailable',
      newTopic: 'new', updated: 'Updated', expected: 'expected', hour: 'Last 24 hours', day: 'Last 30 days',
      windowHour: 'Last hour', windowDay: 'Yesterday', windowWeek: 'Last week', all: 'Total', terms: 'Hot words',
      live: 'live', district: 'District', month: 'Month', total: 'Total', z: 'z',
      channel: { phone: 'Phone', web: 'Web', wechat: 'WeChat', app: 'App', letter: 'Letter', api: 'API' },
    },
  }[lang];

  const HOUR = 3600 * 1000;
  const DAY = 24 * HOUR;
  const CHINA = 8 * HOUR; // Beijing time, UTC+8, no daylight saving
  const REFRESH = 60 * 1000;
  const palette = ['#1f6feb', '#d9480f', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c92a2a', '#5c7cfa'];
  const big = { fontSize: 16 };

  const state = {
    range: 'hour', // volume: 'hour' (24 h by hour) or 'day' (30 days by day)
    window: 'day', // hot topics: hour, day, week
    districts: [], // [{code, name}] from the GeoJSON
    charts: {},
    alerts: new Map(),
    lastDraw: null,
    theme: null, // 'dark' on the wall screen
  };

  function now() {
    const given = Date.parse(root.dataset.now || '');
    // The server's clock as the page was made, moved on by the time spent since.
    return Number.isNaN(given) ? Date.now() : given + (performance.now() - started);
  }
  const started = performance.now();

  async function api(path) {
    const response = await fetch('/api/v1' + path, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) {
      let message = response.status + ' ' + response.statusText;
      try {
        const body = await response.json();
        message = (body.error && (body.error.message || body.error)) || body.message || message;
      } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return response.json();
  }

  function el(id) {
    return document.getElementById(id);
  }

  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = echarts.init(el(id), state.theme, { renderer: 'canvas' });
    }
    return state.charts[id];
  }

  function fmt(n) {
    return Number(n || 0).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN');
  }

  function pct(count, previous) {
    if (!previous) {
      return count ? null : 0;
    }
    return Math.round(((count - previous) / previous) * 100);
  }

  function growthLabel(count, previous) {
    const g = pct(count, previous);
    if (g === null) {
      return T.newTopic;
    }
    return (g > 0 ? '+' : '') + g + '%';
  }

  // Beijing clock time of an instant, as text.
  function china(ms, withDate) {
    const d = new Date(ms + CHINA);
    const p = (n) => String(n).padStart(2, '0');
    const hm = p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
    return withDate ? p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' + hm : hm;
  }

  function chinaMonth(ms) {
    const d = new Date(ms + CHINA);
    return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0');
  }

  function iso(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function showMessage(id, text) {
    const box = el(id);
    if (!box) {
      return;
    }
    const note = box.parentElement.querySelector('.panel-note');
    if (note) {
      note.textContent = text || '';
      note.hidden = !text;
    }
  }

  function atParam() {
    return root.dataset.at ? '&at=' + encodeURIComponent(root.dataset.at) : '';
  }

  // ---- volume over time -------------------------------------------------------------------

  async function drawVolume() {
    const t = now();
    let from;
    let to;
    let step;
    if (state.range === 'hour') {
      to = Math.floor(t / HOUR) * HOUR + HOUR; // the current hour included
      from = to - 24 * HOUR;
      step = HOUR;
    } else {
      const dayStart = Math.floor((t + CHINA) / DAY) * DAY - CHINA; // Beijing midnight
      to = dayStart + DAY;
      from = to - 30 * DAY;
      step = DAY;
    }
    const data = await api(
      '/analytics/volume?from=' + encodeURIComponent(iso(from)) + '&to=' + encodeURIComponent(iso(to)) +
        '&grain=' + state.range + '&by=channel',
    );
    // Every bucket of the range, zero where the server sent nothing, so little data still
    // draws a whole axis.
    const buckets = [];
    for (let b = from; b < to; b += step) {
      buckets.push(b);
    }
    const series = (data.series || []).map((s, i) => {
      const byTime = new Map();
      for (const [when, n] of s.points || []) {
        const ms = typeof when === 'number' ? (when < 1e11 ? when * 1000 : when) : Date.parse(when);
        const b = from + Math.floor((ms - from) / step) * step;
        byTime.set(b, (byTime.get(b) || 0) + Number(n || 0));
      }
      return {
        name: T.channel[s.key] || s.name || s.key,
        type: 'line',
        stack: 'all',
        areaStyle: { opacity: 0.35 },
        showSymbol: false,
        lineStyle: { width: 2 },
        color: palette[i % palette.length],
        data: buckets.map((b) => byTime.get(b) || 0),
      };
    });
    const total = series.reduce((sum, s) => sum + s.data.reduce((a, b) => a + b, 0), 0);
    el('volume-total').textContent = fmt(total);
    chart('volume-chart').setOption(
      {
        animation: false,
        backgroundColor: 'transparent',
        grid: { left: 56, right: 24, top: 48, bottom: 40 },
        legend: { top: 4, textStyle: big },
        tooltip: { trigger: 'axis' },
        xAxis: {
          type: 'category',
          boundaryGap: false,
          data: buckets.map((b) => (state.range === 'hour' ? china(b) : china(b, true).slice(0, 5))),
          axisLabel: { fontSize: 14 },
        },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 14 } },
        series: series.length
          ? series
          : [{ name: T.all, type: 'line', data: buckets.map(() => 0), showSymbol: false }],
      },
      true,
    );
    showMessage('volume-chart', total ? '' : T.none);
  }

  // ---- hot topics ---------------------------------------------------------------------------

  async function drawHot() {
    const data = await api('/analytics/hot?window=' + state.window + '&level=1&top=10' + atParam());
    const cats = (data.categories || []).slice(0, 10).reverse(); // biggest on top
    const w = data.window || {};
    el('hot-window').textContent =
      w.from && w.to ? china(Date.parse(w.from), true) + ' – ' + china(Date.parse(w.to), true) : '';
    chart('hot-chart').setOption(
      {
        animation: false,
        backgroundColor: 'transparent',
        grid: { left: 8, right: 96, top: 36, bottom: 16, containLabel: true },
        legend: { top: 0, textStyle: big, data: [T.current, T.previous] },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          formatter: (items) => {
            const c = cats[items[0].dataIndex];
            return (
              c.name + '<br>' + T.current + ': ' + fmt(c.count) + '<br>' + T.previous + ': ' + fmt(c.previous) +
              '<br>' + T.growth + ': ' + growthLabel(c.count, c.previous) +
              (c.baseline !== undefined && c.baseline !== null
                ? '<br>' + T.baseline + ': ' + Number(c.baseline).toFixed(1)
                : '')
            );
          },
        },
        xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 14 } },
        yAxis: { type: 'category', data: cats.map((c) => c.name || c.code), axisLabel: { fontSize: 16 } },
        series: [
          {
            name: T.previous,
            type: 'bar',
            color: '#adb5bd',
            barGap: '-100%',
            barWidth: '60%',
            barMaxWidth: 32,
            data: cats.map((c) => c.previous || 0),
          },
          {
            name: T.current,
            type: 'bar',
            barWidth: '60%',
            barMaxWidth: 32,
            data: cats.map((c) => ({
              value: c.count || 0,
              itemStyle: { color: (pct(c.count, c.previous) ?? 100) >= 50 ? '#d9480f' : '#1f6feb' },
            })),
            label: {
              show: true,
              position: 'right',
              fontSize: 15,
              formatter: (p) => {
                const c = cats[p.dataIndex];
                return fmt(c.count) + '  ' + growthLabel(c.count, c.previous);
              },
            },
          },
        ],
      },
      true,
    );
    const terms = el('hot-terms');
    terms.replaceChildren(
      ...(data.terms || []).slice(0, 12).map((t) => {
        const chip = document.createElement('li');
        chip.textContent = t.term + ' ' + fmt(t.count) + ' (' + growthLabel(t.count, t.previous) + ')';
        return chip;
      }),
    );
    showMessage('hot-chart', cats.length ? '' : T.none);
  }

  // ---- alerts -------------------------------------------------------------------------------

  function alertTime(a) {
    return Date.parse(a.raised_at || a.at || a.created_at || (a.hour && a.hour.to) || '') || 0;
  }

  function renderAlerts() {
    const list = el('alerts-list');
    const items = [...state.alerts.values()].sort((a, b) => alertTime(b) - alertTime(a)).slice(0, 20);
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = T.noAlerts;
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(
      ...items.map((a) => {
        const li = document.createElement('li');
        li.className = 'alert-item' + (a.fresh ? ' fresh' : '');
        li.dataset.alertId = a.id;
        const when = document.createElement('time');
        const ms = alertTime(a);
        const hour = Date.parse(a.hour || '');
        // The hour that spiked, else when it was raised.
        when.textContent = hour
          ? china(hour, true) + '–' + china(Date.parse(a.hour_to || '') || hour + HOUR)
          : ms ? china(ms, true) : '';
        const what = document.createElement('strong');
        what.textContent = a.name || a.key || a.code || '';
        // The street a category spike sits in, or the category a street spike is about.
        const where = a.dim === 'street' ? a.category_name : a.street_name;
        const figures = document.createElement('span');
        const expected = a.expected !== undefined && a.expected !== null ? Number(a.expected).toFixed(1) : '?';
        figures.textContent =
          fmt(a.count) + ' ' + T.count + ' · ' + T.expected + ' ' + expected +
          (a.z !== undefined && a.z !== null ? ' · z=' + Number(a.z).toFixed(1) : '');
        li.append(when, ' ', what, where ? '（' + where + '）' : '', ' ', figures);
        return li;
      }),
    );
  }

  async function loadAlerts() {
    const data = await api('/alerts?limit=20');
    const items = Array.isArray(data) ? data : data.items || data.alerts || [];
    for (const a of items) {
      const key = a.id !== undefined ? String(a.id) : JSON.stringify(a);
      if (!state.alerts.has(key)) {
        state.alerts.set(key, a);
      }
    }
    renderAlerts();
  }

  function listen() {
    if (typeof EventSource === 'undefined') {
      return;
    }
    const source = new EventSource('/api/v1/notices');
    source.addEventListener('alert.raised', (event) => {
      let notice;
      try {
        notice = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      // A notice wraps its subject in `data`; accept the bare alert too.
      const a = notice && notice.data && typeof notice.data === 'object' ? notice.data : notice;
      a.fresh = true;
      state.alerts.set(a.id !== undefined ? String(a.id) : event.lastEventId || String(Date.now()), a);
      renderAlerts();
      el('alerts-live').classList.add('pulse');
      setTimeout(() => el('alerts-live').classList.remove('pulse'), 3000);
      refresh();
    });
    source.addEventListener('lagged', () => loadAlerts().catch(() => {}));
  }

  // ---- street ranking -----------------------------------------------------------------------

  function districtName(code) {
    const d = state.districts.find((x) => x.code === code);
    return d ? d.name : code || '';
  }

  async function drawRanking() {
    const month = chinaMonth(now());
    el('ranking-month').textContent = month;
    const data = await api('/analytics/ranking?month=' + month + '&by=street&top=10');
    const rows = (data.rows || []).slice(0, 10).reverse();
    chart('ranking-chart').setOption(
      {
        animation: false,
        backgroundColor: 'transparent',
        grid: { left: 8, right: 64, top: 8, bottom: 16, containLabel: true },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          formatter: (items) => {
            const r = rows[items[0].dataIndex];
            return (
              r.rank + '. ' + districtName(r.district) + ' ' + r.name + '<br>' + fmt(r.count) + ' ' + T.count +
              (r.share !== undefined ? ' (' + (Number(r.share) * 100).toFixed(1) + '%)' : '')
            );
          },
        },
        xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 14 } },
        yAxis: {
          type: 'category',
          data: rows.map((r) => r.rank + '. ' + (r.name || r.code)),
          axisLabel: { fontSize: 15 },
        },
        series: [
          {
            type: 'bar',
            color: '#2f9e44',
            barMaxWidth: 28,
            data: rows.map((r) => r.count || 0),
            label: { show: true, position: 'right', fontSize: 15, formatter: (p) => fmt(p.value) },
          },
        ],
      },
      true,
    );
    showMessage('ranking-chart', rows.length ? '' : T.none);
  }

  // ---- the map ------------------------------------------------------------------------------

  async function loadMap() {
    const response = await fetch(root.dataset.geojson, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error('map ' + response.status);
    }
    const geo = await response.json();
    state.districts = geo.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
    echarts.registerMap('beijing', geo);
  }

  // The map with every district, 0 where nothing was received (or nothing is known yet).
  function mapOption(counts) {
    const values = state.districts.map((d) => ({ name: d.name, code: d.code, value: counts.get(d.code) || 0 }));
    const max = Math.max(1, ...values.map((v) => v.value));
    chart('map-chart').setOption(
      {
        animation: false,
        backgroundColor: 'transparent',
        tooltip: {
          trigger: 'item',
          formatter: (p) => p.name + '<br>' + fmt(p.value || 0) + ' ' + T.count,
        },
        visualMap: {
          min: 0,
          max,
          left: 8,
          bottom: 8,
          text: [fmt(max), '0'],
          textStyle: big,
          inRange: { color: ['#e7f5ff', '#74c0fc', '#1c7ed6', '#d9480f'] },
        },
        series: [
          {
            name: T.map,
            type: 'map',
            map: 'beijing',
            roam: false,
            top: 8,
            bottom: 8,
            left: 'center',
            label: { show: true, fontSize: 13, color: '#111' },
            labelLayout: { hideOverlap: true },
            emphasis: { label: { fontSize: 16, fontWeight: 'bold' } },
            itemStyle: { borderColor: '#495057', borderWidth: 1 },
            data: values,
          },
        ],
      },
      true,
    );
    el('map-total').textContent = fmt(values.reduce((a, v) => a + v.value, 0));
  }

  async function drawMap() {
    const month = chinaMonth(now());
    el('map-month').textContent = month;
    const data = await api('/analytics/ranking?month=' + month + '&by=district&top=100');
    mapOption(new Map((data.rows || []).map((r) => [r.code, r.count || 0])));
    showMessage('map-chart', '');
  }

  // What a chart shows when its data could not be read: its frame, so the page keeps its shape.
  function blank(id) {
    if (id === 'map-chart') {
      if (state.districts.length && !state.charts[id]) {
        mapOption(new Map());
      }
      return;
    }
    if (!state.charts[id] && el(id) && el(id).classList.contains('chart')) {
      chart(id).setOption({
        animation: false,
        backgroundColor: 'transparent',
        grid: { left: 48, right: 24, top: 24, bottom: 32 },
        xAxis: { type: 'category', data: [] },
        yAxis: { type: 'value', minInterval: 1 },
        series: [],
      });
    }
  }

  // ---- refresh ------------------------------------------------------------------------------

  async function panel(id, draw) {
    try {
      await draw();
    } catch (e) {
      blank(id);
      showMessage(id, T.failed + ' (' + e.message + ')');
    }
  }

  let running = null;
  function refresh() {
    if (running) {
      return running;
    }
    running = Promise.all([
      panel('volume-chart', drawVolume),
      panel('hot-chart', drawHot),
      panel('alerts-list', loadAlerts),
      panel('ranking-chart', drawRanking),
      panel('map-chart', drawMap),
    ]).then(() => {
      state.lastDraw = new Date();
      el('updated-at').textContent = T.updated + ' ' + china(now(), true);
      root.dataset.state = 'ready';
      running = null;
    });
    return running;
  }

  function bindChoices(name, key, draw, chartId) {
    for (const button of document.querySelectorAll('[data-' + name + ']')) {
      button.addEventListener('click', () => {
        state[key] = button.dataset[name];
        for (const b of document.querySelectorAll('[data-' + name + ']')) {
          b.setAttribute('aria-pressed', String(b === button));
        }
        panel(chartId, draw);
      });
    }
  }

  bindChoices('range', 'range', drawVolume, 'volume-chart');
  bindChoices('window', 'window', drawHot, 'hot-chart');

  const screenButton = el('big-screen');
  if (screenButton) {
    screenButton.addEventListener('click', () => {
      document.body.classList.toggle('big-screen');
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(() => {});
      } else if (document.body.classList.contains('big-screen') && root.requestFullscreen) {
        root.requestFullscreen().catch(() => {});
      }
      // Light text on the dark wall screen: the charts are made again in ECharts' dark theme.
      state.theme = document.body.classList.contains('big-screen') ? 'dark' : null;
      for (const [id, c] of Object.entries(state.charts)) {
        c.dispose();
        delete state.charts[id];
      }
      setTimeout(refresh, 100);
    });
  }

  window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));

  const ready = loadMap()
    .catch((e) => showMessage('map-chart', T.failed + ' (' + e.message + ')'))
    .then(refresh);
  setInterval(refresh, REFRESH);
  listen();

  window.jiesuDashboard = { charts: state.charts, ready, refresh, state };
})();

// Helpers shared by the centre's work pages (dispatcher, supervisor, knowledge-base editor):
// calls to the JSON API with the session cookie, names of units and categories, times in
// Beijing time, and a tiny element builder. Exposed as window.jiesuStaff.
(function () {
  'use strict';

  const lang = (document.documentElement.lang || 'zh-CN').toLowerCase().startsWith('en') ? 'en' : 'zh';
  const CHINA = 8 * 3600 * 1000;

  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  // Calls /api/v1 + path; throws ApiError with the API's message on any refusal.
  async function api(path, options) {
    const init = { credentials: 'same-origin', headers: { Accept: 'application/json' }, ...(options || {}) };
    if (init.body !== undefined && typeof init.body !== 'string') {
      init.body = JSON.stringify(init.body);
      init.headers['Content-Type'] = 'application/json';
    }
    const response = await fetch('/api/v1' + path, init);
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      /* empty or not JSON */
    }
    if (!response.ok) {
      const e = (body && body.error) || {};
      throw new ApiError(response.status, e.code || String(response.status), e.message || response.statusText, e.field);
    }
    return body;
  }

  function post(path, body) {
    return api(path, { method: 'POST', body: body || {} });
  }

  // h('li', {class: 'x', onclick: f}, 'text', child, ...)
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) {
        continue;
      }
      if (k.startsWith('on') && typeof v === 'function') {
        node.addEventListener(k.slice(2), v);
      } else if (k === 'class') {
        node.className = v;
      } else if (k === 'dataset') {
        Object.assign(node.dataset, v);
      } else if (v === true) {
        node.setAttribute(k, '');
      } else {
        node.setAttribute(k, String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) {
        continue;
      }
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  function when(iso) {
    const ms = Date.parse(iso || '');
    if (Number.isNaN(ms)) {
      return '';
    }
    const d = new Date(ms + CHINA);
    const p = (n) => String(n).padStart(2, '0');
    return d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' +
      p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
  }

  let units = null;
  let catalog = null;
  // Unit code → name and category code → name, loaded once per page.
  async function names() {
    if (!units) {
      units = api('/units').then((r) => new Map((r.items || []).map((u) => [u.code, u])));
    }
    if (!catalog) {
      catalog = api('/catalog').then((r) => new Map((r.items || []).map((c) => [c.code, c])));
    }
    const [u, c] = await Promise.all([units.catch(() => new Map()), catalog.catch(() => new Map())]);
    return {
      units: u,
      catalog: c,
      unit: (code) => (code ? (u.get(code) || {}).name || code : ''),
      category: (code) => (code ? (c.get(code) || {}).name || code : ''),
    };
  }

  // A <datalist> of every unit, once per page, for "dispatch to another unit" inputs.
  async function unitList() {
    let list = document.getElementById('units-datalist');
    if (list) {
      return list;
    }
    const n = await names();
    list = h('datalist', { id: 'units-datalist' }, [...n.units.values()].map((u) => h('option', { value: u.code }, u.name)));
    document.body.append(list);
    return list;
  }

  // Shows the outcome of an action inside a card.
  function result(card, ok, text) {
    let line = card.querySelector('.result');
    if (!line) {
      line = h('p', { class: 'result', role: 'status' });
      card.append(line);
    }
    line.className = 'result ' + (ok ? 'ok' : 'err');
    line.textContent = text;
  }

  // Runs an action from a button: disables the card's buttons while it runs.
  async function act(card, run, done) {
    const buttons = card.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const value = await run();
      result(card, true, done(value));
      card.classList.add('done');
      return value;
    } catch (e) {
      result(card, false, e.message);
      buttons.forEach((b) => (b.disabled = false));
      return undefined;
    }
  }

  // Makes the [role=tab] buttons inside root switch their panels (aria-controls); returns the
  // function that selects a tab by its id.
  function tabs(root) {
    const all = root.querySelectorAll('[role="tab"]');
    function select(id) {
      for (const tab of all) {
        const on = tab.id === id;
        tab.setAttribute('aria-selected', String(on));
        document.getElementById(tab.getAttribute('aria-controls')).hidden = !on;
      }
    }
    for (const tab of all) {
      tab.addEventListener('click', () => select(tab.id));
    }
    return select;
  }

  // Runs load now and every ms after, but never under the user's hands: skipped while a field
  // inside root has the focus.
  function refreshEvery(root, load, ms) {
    load();
    setInterval(() => {
      const focused = document.activeElement;
      const typing = focused && root.contains(focused) && focused.tagName === 'INPUT';
      if (!typing) {
        load();
      }
    }, ms);
  }

  window.jiesuStaff = { lang, api, post, h, when, names, unitList, result, act, tabs, refreshEvery, ApiError };
})();

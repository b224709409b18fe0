// Shared by every page: a JSON helper for the API (the session cookie signs the request in)
// and a tiny escape for text put into HTML.
'use strict';
window.jiesu = {
  lang: document.body.dataset.lang || 'zh-CN',
  zh() { return this.lang !== 'en'; },
  async api(method, path, body) {
    const opts = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['content-type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch('/api/v1' + path, opts);
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = { error: { message: text } }; }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new Error((e.field ? e.field + ': ' : '') + (e.message || res.status));
      err.status = res.status;
      err.body = data;
      throw err;
    }
    return data;
  },
  esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    }[c]));
  },
  time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  },
};

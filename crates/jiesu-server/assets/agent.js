// The agent workstation: knowledge search as you type, "answered" citing the entry, the order
// form pre-filled by the assistant, live notices, keyboard shortcuts. Talks to /api/v1 with the
// session cookie.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const zh = jiesu.zh();
  const say = (el, text, ok = true) => {
    el.textContent = text;
    el.className = text ? (ok ? 'ok' : 'error') : '';
  };
  const q = $('kb-q');
  const results = $('kb-results');
  const entryBox = $('kb-entry');
  const order = $('order');
  let items = [];
  let picked = null;
  let timer = null;
  let seq = 0;

  // Knowledge search as you type.
  async function search() {
    const text = q.value.trim();
    const mine = ++seq;
    if (!text) { results.innerHTML = ''; $('kb-none').hidden = true; return; }
    try {
      const data = await jiesu.api('GET', `/knowledge/search?q=${encodeURIComponent(text)}&limit=9`);
      if (mine !== seq) return;
      items = data.items || [];
      $('kb-none').hidden = items.length > 0;
      results.innerHTML = items.map((it, i) => `<li><button type="button" data-i="${i}" aria-pressed="false">` +
        `<kbd>${i + 1}</kbd> <span>${it.title_html || jiesu.esc(it.title)}</span></button></li>`).join('');
    } catch (e) {
      if (mine === seq) say($('answer-status'), e.message, false);
    }
  }
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 150); });
  results.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-i]');
    if (b) pick(Number(b.dataset.i));
  });

  function pick(i) {
    const it = items[i];
    if (!it) return;
    picked = it;
    results.querySelectorAll('button').forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
    $('kb-entry-title').textContent = it.title;
    $('kb-readout').textContent = it.answer;
    entryBox.hidden = false;
    say($('answer-status'), '');
    $('answered').focus();
  }

  function intake() {
    const v = (id) => $(id).value.trim();
    const body = {
      channel: 'phone',
      content: v('o-content'),
      caller: { name: v('o-name') || (zh ? '来电人' : 'caller'), phone: v('o-phone') },
      urgency: v('o-urgency') || 'normal',
    };
    if (v('o-title')) body.title = v('o-title');
    if (v('o-address')) body.address = v('o-address');
    if (v('o-street')) body.street_code = v('o-street');
    else if (v('o-district')) body.district_code = v('o-district');
    if (v('o-category')) body.category_code = v('o-category');
    return body;
  }

  // 直接答复: record the call and answer it from the entry, cited with its version.
  async function answered() {
    const status = $('answer-status');
    if (!picked) { say(status, zh ? '请先选择一条知识' : 'Pick an entry first', false); return; }
    const body = intake();
    if (!body.content) body.content = q.value.trim() || picked.title;
    body.title = body.title || picked.title;
    if (!body.caller.phone) { say(status, zh ? '请填写来电号码' : 'Fill in the caller\'s number', false); $('o-phone').focus(); return; }
    try {
      const t = await jiesu.api('POST', '/tickets', body);
      const done = await jiesu.api('POST', `/tickets/${t.id}/answer`, { entry_id: picked.id, text: picked.answer });
      say(status, `${zh ? '已记录直接答复' : 'Recorded as answered'}：${done.number}（${picked.id}）`);
    } catch (e) {
      say(status, e.message, false);
    }
  }
  $('answered').addEventListener('click', answered);

  // Nothing answers: file the question for the editors.
  $('kb-missing').addEventListener('click', async () => {
    const question = q.value.trim();
    if (!question) return;
    try {
      await jiesu.api('POST', '/knowledge/missing', { question });
      say($('answer-status'), zh ? `已报告知识缺失：${question}` : `Reported as missing: ${question}`);
    } catch (e) {
      say($('answer-status'), e.message, false);
    }
  });

  // The assistant reads the caller's words: place, urgency, category, with the words behind.
  async function assist() {
    const text = $('o-content').value.trim();
    if (!text) { $('o-content').focus(); return; }
    try {
      const a = await jiesu.api('POST', '/assist', { text });
      const reasons = [];
      const r = a.address && a.address.resolution;
      if (r && r.district) {
        $('o-district').value = r.district.code;
        reasons.push(`${zh ? '地点' : 'Place'}：${r.district.name}${r.street ? ' ' + r.street.name : ''}` +
          ` ← ${(a.address.found || []).map((f) => `“${f.text}”`).join(' ')}`);
      }
      $('o-street').value = (r && r.street) ? r.street.code : '';
      if (a.urgency) {
        $('o-urgency').value = a.urgency.value === 'urgent' ? 'urgent' : 'normal';
        if ((a.urgency.reasons || []).length) {
          reasons.push(`${zh ? '紧急' : 'Urgent'}：${a.urgency.reasons.join('、')}`);
        }
      }
      const top = a.category && a.category.top && a.category.top[0];
      if (top && top.code) {
        $('o-category').value = top.code;
        const words = (a.category.words || []).slice(0, 3).map((w) => `“${w.word}”`).join(' ');
        reasons.push(`${zh ? '分类' : 'Category'}：${top.name} ${Math.round(top.probability * 100)}% ← ${words}`);
      }
      if (!$('o-title').value && text) $('o-title').value = text.slice(0, 20);
      $('assist-reasons').innerHTML = reasons.map((x) => `<li>${jiesu.esc(x)}</li>`).join('');
      $('assist-box').hidden = false;
    } catch (e) {
      say($('order-status'), e.message, false);
    }
  }
  $('assist').addEventListener('click', assist);

  order.addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('order-status');
    if (!order.reportValidity()) return;
    const body = intake();
    body.assist = !$('assist-box').hidden;
    try {
      const t = await jiesu.api('POST', '/tickets', body);
      say(status, `${zh ? '工单已登记' : 'Order recorded'}：${t.number}`);
      status.dataset.number = t.number;
      status.dataset.id = t.id;
    } catch (err) {
      say(status, err.message, false);
    }
  });

  // Keyboard: / search, Alt+1..9 pick, Alt+A answered, Alt+I assistant, Ctrl+Enter save.
  document.addEventListener('keydown', (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (e.key === '/' && !typing && !e.altKey && !e.ctrlKey) { e.preventDefault(); q.focus(); q.select(); return; }
    if (e.altKey && /^Digit[1-9]$/.test(e.code)) { e.preventDefault(); pick(Number(e.code.slice(5)) - 1); return; }
    if (e.altKey && e.code === 'KeyA') { e.preventDefault(); answered(); return; }
    if (e.altKey && e.code === 'KeyI') { e.preventDefault(); assist(); return; }
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); order.requestSubmit(); }
  });
  $('o-street').addEventListener('change', () => {
    const o = $('o-street').selectedOptions[0];
    if (o && o.dataset.district) $('o-district').value = o.dataset.district;
  });

  // Live notices from the server.
  const list = $('notices');
  const label = {
    'entry.created': zh ? '新知识' : 'New entry',
    'entry.updated': zh ? '知识更新' : 'Entry updated',
    'entry.published': zh ? '知识发布' : 'Entry published',
    'entry.retired': zh ? '知识下线' : 'Entry retired',
    'entry.reactivated': zh ? '知识恢复' : 'Entry back',
  };
  function notice(kind, data) {
    const empty = list.querySelector('[data-empty]');
    if (empty) empty.remove();
    const li = document.createElement('li');
    const d = data.data || {};
    li.textContent = `${jiesu.time(data.at)} ${label[kind] || kind} ${d.title || d.message || ''}`;
    list.prepend(li);
    while (list.children.length > 30) list.lastChild.remove();
  }
  if (window.EventSource) {
    const source = new EventSource('/api/v1/notices');
    source.onopen = () => { list.dataset.live = 'on'; };
    source.onerror = () => { list.dataset.live = 'off'; };
    const kinds = [...Object.keys(label), 'alert', 'lagged'];
    kinds.forEach((k) => source.addEventListener(k, (ev) => {
      let data = {};
      try { data = JSON.parse(ev.data); } catch (_) { /* keep empty */ }
      notice(k, data);
    }));
    source.onmessage = (ev) => notice('message', { data: { message: ev.data } });
  }

  if (!document.querySelector('#workstation').dataset.phone) $('call-phone').focus();
  else q.focus();
})();

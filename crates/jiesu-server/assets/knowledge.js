// 知识库 the knowledge-base editor's page: entries listed and searched (drafts included), an
// entry edited with its version history and the difference between versions, published,
// retired or put back in force; and the missing-answer queue (缺失口径), most asked first, from
// which a new entry is written and the question closed with it.
// Uses /api/v1/knowledge/entries (GET, POST, PUT with expected_version, POST .../publish|retire|
// reactivate, GET .../versions, GET .../diff), /api/v1/knowledge/search and
// /api/v1/knowledge/missing (GET, POST .../close).
(function () {
  'use strict';

  const S = window.jiesuStaff;
  const root = document.getElementById('knowledge');
  if (!S || !root) {
    return;
  }
  const { h, api, post, when } = S;
  const T = {
    zh: {
      draft: '草稿', active: '生效', retired: '已停用', all: '全部', newEntry: '新建条目', save: '保存',
      saved: '已保存，版本', created: '已创建', publish: '发布', published: '已发布', retire: '停用', retiredOk: '已停用',
      reactivate: '重新启用', reactivated: '已重新启用', history: '版本历史', diff: '与上一版的差异', field: '字段',
      before: '修改前', after: '修改后', none: '没有条目', noMissing: '没有待补充的口径', asked: '次询问', lastAsked: '最近',
      write: '编写口径', closed: '已关联条目并关闭', choose: '从左侧选择一个条目，或新建条目', version: '版本', by: '修改人',
      stale: '条目已被他人修改，请重新加载后再改', search: '搜索条目', uses: '引用', editing: '编辑条目', creating: '新建条目',
      changeNote: '修改说明（可选）', publishNow: '创建后立即发布',
      change: { created: '创建', updated: '修改', published: '发布', retired: '停用', reactivated: '重新启用' },
      fields: {
        title: '标题', questions: '其他问法（每行一个）', answer: '答复口径', category_code: '分类编码', region_code: '适用区域编码',
        source: '来源', valid_from: '生效日期', valid_until: '失效日期', tags: '标签（逗号分隔）', status: '状态',
      },
      sources: { press_conference: '新闻发布会', official_media: '官方媒体', department: '部门答复', missing_answer: '来电缺失口径', other: '其他' },
    },
    en: {
      draft: 'draft', active: 'active', retired: 'retired', all: 'All', newEntry: 'New entry', save: 'Save',
      saved: 'Saved, version', created: 'Created', publish: 'Publish', published: 'Published', retire: 'Retire',
      retiredOk: 'Retired', reactivate: 'Put back in force', reactivated: 'Back in force', history: 'Version history',
      diff: 'Changes from the previous version', field: 'Field', before: 'Before', after: 'After', none: 'No entries',
      noMissing: 'No missing answers waiting', asked: 'times asked', lastAsked: 'last', write: 'Write the entry',
      closed: 'Linked to the entry and closed', choose: 'Pick an entry on the left, or write a new one', version: 'Version',
      by: 'by', stale: 'Someone else changed this entry: reload it first', search: 'Search entries', uses: 'uses',
      editing: 'Edit entry', creating: 'New entry', changeNote: 'Why (optional)', publishNow: 'Publish at once',
      change: { created: 'created', updated: 'updated', published: 'published', retired: 'retired', reactivated: 'reactivated' },
      fields: {
        title: 'Title', questions: 'Other phrasings (one a line)', answer: 'Answer to read out', category_code: 'Category code',
        region_code: 'Region code', source: 'Source', valid_from: 'Valid from', valid_until: 'Valid until',
        tags: 'Tags (comma-separated)', status: 'Status',
      },
      sources: { press_conference: 'Press conference', official_media: 'Official media', department: 'Department', missing_answer: 'Missing answer', other: 'Other' },
    },
  }[S.lang];

  const ui = {
    list: document.getElementById('kb-entries'),
    search: document.getElementById('kb-search'),
    status: document.getElementById('kb-status'),
    editor: document.getElementById('kb-editor'),
    missing: document.getElementById('kb-missing'),
  };
  let current = null; // the entry being edited (as stored), or null for a new one
  let fromMissing = null; // the missing answer a new entry is written for

  // ---- the list -------------------------------------------------------------------------------

  async function loadList() {
    const q = ui.search.value.trim();
    const status = ui.status.value;
    let items;
    try {
      if (q) {
        const r = await api('/knowledge/search?q=' + encodeURIComponent(q) + '&status=' + (status || 'draft,active,retired') + '&limit=50');
        items = r.items || [];
      } else {
        const r = await api('/knowledge/entries?limit=100' + (status ? '&status=' + status : ''));
        items = r.items || [];
      }
    } catch (e) {
      ui.list.replaceChildren(h('li', { class: 'empty-note' }, e.message));
      return;
    }
    ui.list.replaceChildren(
      ...(items.length
        ? items.map((e) =>
            h('li', {}, h('button', {
              type: 'button',
              'aria-current': current && current.id === e.id ? 'true' : 'false',
              dataset: { entry: e.id },
              onclick: () => open(e.id),
            }, h('span', { class: 'badge ' + e.status }, T[e.status] || e.status), ' ', e.title, ' ',
            h('small', {}, e.id + ' · v' + e.version + (e.uses ? ' · ' + T.uses + ' ' + e.uses : '')))))
        : [h('li', { class: 'empty-note' }, T.none)]),
    );
  }

  // ---- the editor -----------------------------------------------------------------------------

  function input(name, value, type) {
    const id = 'kb-f-' + name;
    const field = type === 'textarea'
      ? h('textarea', { id, name }, value || '')
      : h('input', { id, name, type: type || 'text', value: value || '' });
    return h('label', { for: id }, T.fields[name], field);
  }

  function sourceSelect(value) {
    const select = h('select', { id: 'kb-f-source', name: 'source' },
      Object.entries(T.sources).map(([k, v]) => h('option', { value: k, selected: k === (value || 'other') }, v)));
    return h('label', { for: 'kb-f-source' }, T.fields.source, select);
  }

  function formContent(form) {
    const v = (n) => form.elements[n].value.trim();
    return {
      title: v('title'),
      questions: v('questions').split('\n').map((s) => s.trim()).filter(Boolean),
      answer: v('answer'),
      category_code: v('category_code') || null,
      region_code: v('region_code') || null,
      source: v('source'),
      valid_from: v('valid_from') || null,
      valid_until: v('valid_until') || null,
      tags: v('tags').split(/[,，]/).map((s) => s.trim()).filter(Boolean),
    };
  }

  function show(entry, prefill) {
    current = entry;
    const e = entry || prefill || {};
    const form = h('form', { class: 'kb-form', id: 'kb-form', novalidate: true });
    form.append(
      h('h2', {}, entry ? T.editing + ' ' + entry.id + ' · v' + entry.version + ' · ' : T.creating,
        entry ? h('span', { class: 'badge ' + entry.status, id: 'kb-entry-status' }, T[entry.status] || entry.status) : null),
      input('title', e.title),
      input('questions', (e.questions || []).join('\n'), 'textarea'),
      input('answer', e.answer, 'textarea'),
      h('div', { class: 'row' }, input('category_code', e.category_code), input('region_code', e.region_code), sourceSelect(e.source)),
      h('div', { class: 'row' }, input('valid_from', e.valid_from, 'date'), input('valid_until', e.valid_until, 'date'), input('tags', (e.tags || []).join(', '))),
    );
    const note = h('input', { type: 'text', name: 'note', id: 'kb-f-note', placeholder: T.changeNote });
    const publishNow = h('input', { type: 'checkbox', name: 'publish_now', id: 'kb-f-publish' });
    const actions = h('div', { class: 'actions' });
    const save = h('button', { type: 'submit', class: 'primary', id: 'kb-save' }, T.save);
    actions.append(save);
    if (entry) {
      actions.append(h('label', { for: 'kb-f-note' }, T.changeNote, note));
      const action = (name, label, done) =>
        h('button', { type: 'button', id: 'kb-' + name, onclick: () => change(name, done, note) }, label);
      if (entry.status === 'draft') {
        actions.append(action('publish', T.publish, T.published));
      }
      if (entry.status === 'active') {
        actions.append(action('retire', T.retire, T.retiredOk));
      }
      if (entry.status === 'retired') {
        actions.append(action('reactivate', T.reactivate, T.reactivated));
      }
    } else {
      actions.append(h('label', { for: 'kb-f-publish' }, publishNow, ' ', T.publishNow));
    }
    form.append(actions);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      saveForm(form, note, publishNow);
    });
    const history = h('section', { id: 'kb-history', 'aria-live': 'polite' });
    ui.editor.replaceChildren(form, history);
    if (entry) {
      loadHistory(entry.id);
    }
  }

  async function open(id) {
    try {
      show(await api('/knowledge/entries/' + encodeURIComponent(id)));
      fromMissing = null;
      for (const b of ui.list.querySelectorAll('button[data-entry]')) {
        b.setAttribute('aria-current', String(b.dataset.entry === id));
      }
    } catch (e) {
      ui.editor.replaceChildren(h('p', { class: 'result err' }, e.message));
    }
  }

  async function saveForm(form, note, publishNow) {
    const content = formContent(form);
    const box = form;
    if (current) {
      const body = { ...content, expected_version: current.version, note: note.value.trim() || null };
      const r = await S.act(box, () => api('/knowledge/entries/' + encodeURIComponent(current.id), { method: 'PUT', body }),
        (r) => T.saved + ' ' + r.version);
      if (r) {
        reopen(r.id, T.saved + ' ' + r.version);
      }
    } else {
      const r = await S.act(box, () => post('/knowledge/entries', { ...content, publish: publishNow.checked }), (r) => T.created + ' ' + r.id);
      if (r) {
        if (fromMissing !== null) {
          await post('/knowledge/missing/' + fromMissing + '/close', { entry_id: r.id }).catch(() => {});
          fromMissing = null;
          loadMissing();
        }
        reopen(r.id, T.created + ' ' + r.id);
      }
    }
  }

  async function change(action, done, note) {
    const form = document.getElementById('kb-form');
    const r = await S.act(form, () => post('/knowledge/entries/' + encodeURIComponent(current.id) + '/' + action, {
      expected_version: current.version,
      note: note.value.trim() || null,
    }), (r) => done + ' · v' + r.version);
    if (r) {
      reopen(r.id, done + ' · v' + r.version);
    }
  }

  // Shows the entry again as stored, with the outcome of what was just done.
  async function reopen(id, message) {
    await open(id);
    loadList();
    S.result(document.getElementById('kb-form'), true, message);
  }

  // ---- history and differences ----------------------------------------------------------------

  async function loadHistory(id) {
    const box = document.getElementById('kb-history');
    let data;
    try {
      data = await api('/knowledge/entries/' + encodeURIComponent(id) + '/versions');
    } catch (e) {
      box.replaceChildren(h('p', { class: 'result err' }, e.message));
      return;
    }
    const items = (data.items || []).slice().reverse(); // newest first
    const diffBox = h('div', { id: 'kb-diff' });
    box.replaceChildren(
      h('h3', {}, T.history),
      h('ol', { class: 'versions', id: 'kb-versions' }, items.map((v) =>
        h('li', { dataset: { version: v.version } },
          h('strong', {}, 'v' + v.version), ' ', T.change[v.change] || v.change, ' · ', T[v.status] || v.status, ' · ',
          when(v.changed_at), ' · ', T.by, ' ', v.changed_by, v.note ? ' · “' + v.note + '”' : '', ' ',
          v.version > 1 ? h('button', { type: 'button', class: 'show-diff', onclick: () => showDiff(id, v.version - 1, v.version, diffBox) }, T.diff) : null))),
      diffBox,
    );
    if (items.length > 1) {
      showDiff(id, items[0].version - 1, items[0].version, diffBox);
    }
  }

  function text(v) {
    if (v === null || v === undefined) {
      return '';
    }
    if (Array.isArray(v)) {
      return v.join('\n');
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  // Character-level difference of two short texts (longest common subsequence), as nodes.
  function inline(a, b) {
    const x = [...a];
    const y = [...b];
    if (x.length * y.length > 2_000_000) {
      return [[h('del', {}, a)], [h('ins', {}, b)]];
    }
    const n = x.length;
    const m = y.length;
    const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      }
    }
    const left = [];
    const right = [];
    const push = (list, tag, ch) => {
      const last = list[list.length - 1];
      if (last && last.tag === tag) {
        last.text += ch;
      } else {
        list.push({ tag, text: ch });
      }
    };
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        push(left, 'span', x[i]);
        push(right, 'span', y[j]);
        i++;
        j++;
      } else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) {
        push(right, 'ins', y[j++]);
      } else {
        push(left, 'del', x[i++]);
      }
    }
    const nodes = (list) => list.map((p) => h(p.tag, {}, p.text));
    return [nodes(left), nodes(right)];
  }

  async function showDiff(id, from, to, box) {
    try {
      const d = await api('/knowledge/entries/' + encodeURIComponent(id) + '/diff?from=' + from + '&to=' + to);
      box.replaceChildren(
        h('h3', {}, 'v' + d.from + ' → v' + d.to),
        h('table', { class: 'diff' },
          h('thead', {}, h('tr', {}, h('th', {}, T.field), h('th', {}, T.before), h('th', {}, T.after))),
          h('tbody', {}, (d.changes || []).map((c) => {
            const [before, after] = inline(text(c.before), text(c.after));
            return h('tr', { dataset: { field: c.field } }, h('th', {}, T.fields[c.field] || c.field), h('td', {}, before), h('td', {}, after));
          }))),
      );
    } catch (e) {
      box.replaceChildren(h('p', { class: 'result err' }, e.message));
    }
  }

  // ---- missing answers --------------------------------------------------------------------------

  async function loadMissing() {
    let items;
    try {
      items = (await api('/knowledge/missing?status=open&limit=100')).items || [];
    } catch (e) {
      ui.missing.replaceChildren(h('li', { class: 'empty-note' }, e.message));
      return;
    }
    document.getElementById('missing-count').textContent = String(items.length);
    ui.missing.replaceChildren(
      ...(items.length
        ? items.map((m) => h('li', { class: 'work-card', dataset: { missing: m.id } },
            h('h3', {}, m.question),
            h('p', { class: 'meta' }, h('span', {}, m.asked + ' ' + T.asked), h('span', {}, T.lastAsked + ' ' + when(m.last_asked_at)),
              m.category_code ? h('span', {}, m.category_code) : null),
            h('div', { class: 'actions' }, h('button', {
              type: 'button', class: 'primary',
              onclick: () => {
                show(null, { title: m.question, category_code: m.category_code, source: 'missing_answer' });
                fromMissing = m.id;
                selectTab('tab-entries');
                document.getElementById('kb-f-answer').focus();
              },
            }, T.write))))
        : [h('li', { class: 'empty-note' }, T.noMissing)]),
    );
  }

  // ---- tabs and start ---------------------------------------------------------------------------

  const selectTab = S.tabs(root);

  let typing = null;
  ui.search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(loadList, 200);
  });
  ui.status.addEventListener('change', loadList);
  document.getElementById('kb-new').addEventListener('click', () => {
    fromMissing = null;
    show(null);
    document.getElementById('kb-f-title').focus();
  });

  ui.editor.replaceChildren(h('p', { class: 'empty-note' }, T.choose));
  Promise.all([loadList(), loadMissing()]).then(() => {
    root.dataset.state = 'ready';
  });
})();

// 督办 the supervisor's page: overdue tickets, tickets reopened after an unresolved callback
// (重办) and pending extension requests (延期申请), with the supervision actions the API allows
// on each: supervise (press the unit, raising the supervision level), escalate (raise the
// urgency) and grant or refuse an extension.
// Reads GET /api/v1/tickets?overdue=true, ?status=reopened and ?status=in_progress; acts through
// POST /api/v1/tickets/{id}/supervise|escalate|extension_decision.
(function () {
  'use strict';

  const S = window.jiesuStaff;
  const root = document.getElementById('supervise');
  if (!S || !root) {
    return;
  }
  const { h, api, post, when } = S;
  const T = {
    zh: {
      unit: '主办单位', due: '办理时限', level: '督办级别', reopened: '重办次数', supervise: '督办',
      supervised: '已督办，督办级别', escalate: '提级为紧急', escalated: '已提级', reason: '督办要求 / 提级理由',
      needReason: '提级须填写理由', grant: '同意延期', refuse: '不同意延期', granted: '已同意延期', refusedExt: '已驳回延期',
      days: '申请延期（工作日）', emptyOverdue: '没有超期工单', emptyReopened: '没有重办工单', emptyExt: '没有待审批的延期申请',
      overdue: '超期', warned: '临期', on_time: '正常', urgent: '紧急', loadFailed: '加载失败', status: '状态',
      ack: '签收', handle: '办理',
      statuses: { received: '已受理', answered: '已答复', dispatched: '已派单待签收', returned: '已退单', in_progress: '办理中',
        replied: '已办结待回访', reopened: '重办', closed: '已结案', merged: '已合并' },
    },
    en: {
      unit: 'Lead unit', due: 'Due', level: 'Supervision level', reopened: 'Reopened', supervise: 'Supervise',
      supervised: 'Supervised, level', escalate: 'Escalate to urgent', escalated: 'Escalated', reason: 'What is asked / why',
      needReason: 'Escalating needs a reason', grant: 'Grant extension', refuse: 'Refuse extension', granted: 'Extension granted',
      refusedExt: 'Extension refused', days: 'Extension asked (working days)', emptyOverdue: 'No overdue tickets',
      emptyReopened: 'No reopened tickets', emptyExt: 'No extension requests waiting', overdue: 'overdue',
      warned: 'due soon', on_time: 'on time', urgent: 'urgent', loadFailed: 'Could not load', status: 'status',
      ack: 'acknowledge', handle: 'handle',
      statuses: { received: 'received', answered: 'answered', dispatched: 'dispatched, not acknowledged', returned: 'returned',
        in_progress: 'in progress', replied: 'replied, awaiting callback', reopened: 'reopened', closed: 'closed', merged: 'merged' },
    },
  }[S.lang];

  let names = null;

  function card(t, refresh) {
    // The worse of the two limits colours the card; each limit not on time gets its badge.
    const rank = { on_time: 0, warned: 1, overdue: 2 };
    const ack = t.status === 'dispatched' ? t.acknowledge_timeliness || 'on_time' : 'on_time';
    const handle = t.handle_timeliness || 'on_time';
    const timeliness = rank[ack] > rank[handle] ? ack : handle;
    const badges = [];
    if (ack !== 'on_time') {
      badges.push(h('span', { class: 'badge ' + ack }, T.ack + T[ack]));
    }
    if (handle !== 'on_time' || !badges.length) {
      badges.push(h('span', { class: 'badge ' + handle }, (handle === 'on_time' ? '' : T.handle) + T[handle]));
    }
    const c = h('li', { class: 'work-card ' + timeliness, dataset: { ticket: t.id, number: t.number } });
    const reason = h('input', { type: 'text', name: 'reason', placeholder: T.reason, 'aria-label': T.reason });
    const allowed = new Set(t.allowed_actions || []);
    const due = t.deadlines && t.deadlines.handle_by;
    const again = (r) => r && setTimeout(refresh, 1200);
    c.append(
      h('h3', {}, t.number, ' ', t.title || ''),
      h('p', { class: 'meta' },
        badges,
        t.urgency === 'urgent' ? h('span', { class: 'badge urgent' }, T.urgent) : null,
        h('span', {}, T.status + ': ' + (T.statuses[t.status] || t.status)),
        h('span', {}, T.unit + ': ' + names.unit(t.lead_unit)),
        due ? h('span', {}, T.due + ': ' + when(due)) : null,
        h('span', {}, T.level + ': ' + (t.supervision_level || 0)),
        t.reopen_count ? h('span', {}, T.reopened + ': ' + t.reopen_count) : null,
        t.extension_pending ? h('span', { class: 'badge warned' }, T.days + ': ' + t.extension_pending) : null),
      h('p', { class: 'content' }, t.content),
    );
    const actions = h('div', { class: 'actions' });
    if (allowed.has('supervise')) {
      actions.append(h('button', {
        type: 'button', class: 'primary supervise',
        onclick: () => S.act(c, () => post('/tickets/' + encodeURIComponent(t.id) + '/supervise', { note: reason.value.trim() || null }),
          (r) => T.supervised + ' ' + r.supervision_level).then(again),
      }, T.supervise));
    }
    if (allowed.has('escalate') && t.urgency !== 'urgent') {
      actions.append(h('button', {
        type: 'button', class: 'escalate',
        onclick: () => {
          if (!reason.value.trim()) {
            S.result(c, false, T.needReason);
            reason.focus();
            return;
          }
          S.act(c, () => post('/tickets/' + encodeURIComponent(t.id) + '/escalate', { reason: reason.value.trim() }), () => T.escalated).then(again);
        },
      }, T.escalate));
    }
    if (allowed.has('extension_decision') && t.extension_pending) {
      for (const granted of [true, false]) {
        actions.append(h('button', {
          type: 'button', class: granted ? 'grant' : 'refuse',
          onclick: () => S.act(c, () => post('/tickets/' + encodeURIComponent(t.id) + '/extension_decision', { granted, note: reason.value.trim() || null }),
            () => (granted ? T.granted : T.refusedExt)).then(again),
        }, granted ? T.grant : T.refuse));
      }
    }
    actions.append(reason);
    c.append(actions);
    return c;
  }

  async function fill(listId, countId, path, keep, emptyText) {
    const list = document.getElementById(listId);
    try {
      const data = await api(path);
      const items = (data.items || []).filter(keep);
      // Most pressing first: the earliest handle deadline.
      items.sort((a, b) => Date.parse((a.deadlines || {}).handle_by || 0) - Date.parse((b.deadlines || {}).handle_by || 0));
      list.replaceChildren(...(items.length ? items.map((t) => card(t, load)) : [h('li', { class: 'empty-note' }, emptyText)]));
      document.getElementById(countId).textContent = String(items.length);
    } catch (e) {
      list.replaceChildren(h('li', { class: 'empty-note' }, T.loadFailed + ': ' + e.message));
    }
  }

  async function load() {
    names = names || (await S.names());
    await Promise.all([
      fill('supervise-overdue', 'overdue-count', '/tickets?overdue=true&limit=200', () => true, T.emptyOverdue),
      fill('supervise-reopened', 'reopened-count', '/tickets?status=reopened&limit=200', () => true, T.emptyReopened),
      fill('supervise-extensions', 'extensions-count', '/tickets?status=in_progress&limit=500', (t) => !!t.extension_pending, T.emptyExt),
    ]);
    root.dataset.state = 'ready';
  }

  S.tabs(root);
  S.refreshEvery(root, load, 60000);
})();

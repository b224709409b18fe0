// 派单 the dispatcher's page: the queue of received tickets with the rules' routing proposal
// and the best duplicate proposal (一件多诉), dispatched or merged in one click; and the
// returned tickets (退单) to review: uphold (re-dispatch) or refuse.
// Reads /api/v1/dispatch/queue and /api/v1/dispatch/returns; acts through
// POST /api/v1/tickets/{id}/dispatch|merge|review. Refreshes every 30 s and after each action.
(function () {
  'use strict';

  const S = window.jiesuStaff;
  const root = document.getElementById('dispatch');
  if (!S || !root) {
    return;
  }
  const { h, api, post, when } = S;
  const T = {
    zh: {
      proposal: '建议派往', noProposal: '规则未给出承办单位，请选择', confident: '规则确定', unsure: '请核实',
      rule: '规则', why: '为什么', dispatch: '派单', dispatchTo: '派往其他单位', unitCode: '单位编码或名称',
      note: '派单说明（可选）', duplicate: '疑似重复', merge: '合并到主工单', similarity: '相似度',
      shared: '共同词', samePlace: '同一地点', master: '主工单', empty: '队列为空', emptyReturns: '没有待审核的退单',
      returnedBy: '退单单位', reason: '理由', uphold: '同意退单并改派', refuse: '驳回退单（原单位继续办理）',
      redispatch: '改派建议', reviewNote: '审核意见（可选）', dispatched: '已派单', merged: '已合并',
      upheld: '已改派', refused: '已驳回', urgent: '紧急', received: '受理', address: '地址', category: '分类',
      assisting: '协办', flag: '标记该规则派错', loadFailed: '加载失败', scene: '场景',
      scenes: { residential_compound: '小区内', city_road: '城市道路', park: '公园', river: '河道', market: '市场' },
    },
    en: {
      proposal: 'Proposed unit', noProposal: 'The rules name no unit: choose one', confident: 'rules are sure',
      unsure: 'check it', rule: 'rule', why: 'Why', dispatch: 'Dispatch', dispatchTo: 'Dispatch to another unit',
      unitCode: 'unit code or name', note: 'Note for the unit (optional)', duplicate: 'Possible duplicate',
      merge: 'Merge into master', similarity: 'similarity', shared: 'shared words', samePlace: 'same place',
      master: 'master', empty: 'The queue is empty', emptyReturns: 'No returned tickets to review',
      returnedBy: 'Returned by', reason: 'reason', uphold: 'Uphold and re-dispatch',
      refuse: 'Refuse (same unit handles it)', redispatch: 'Re-dispatch proposal', reviewNote: 'Review note (optional)',
      dispatched: 'Dispatched', merged: 'Merged', upheld: 'Re-dispatched', refused: 'Return refused',
      urgent: 'urgent', received: 'received', address: 'address', category: 'category', assisting: 'assisting',
      flag: 'flag the rule as misrouting', loadFailed: 'Could not load', scene: 'scene',
      scenes: { residential_compound: 'inside a compound', city_road: 'city road', park: 'park', river: 'riverside', market: 'market' },
    },
  }[S.lang];

  let names = null;

  // A unit typed as a code or a name → its code.
  function unitCode(text) {
    const t = (text || '').trim();
    if (!t || !names) {
      return t;
    }
    if (names.units.has(t)) {
      return t;
    }
    for (const u of names.units.values()) {
      if (u.name === t) {
        return u.code;
      }
    }
    return t;
  }

  function ticketHead(t) {
    return [
      h('h3', {}, t.number, ' ', t.title || ''),
      h(
        'p',
        { class: 'meta' },
        t.urgency === 'urgent' ? h('span', { class: 'badge urgent' }, T.urgent) : null,
        h('span', {}, T.received + ' ', when(t.received_at)),
        t.category_code ? h('span', {}, T.category + ': ', names.category(t.category_code)) : null,
        t.address ? h('span', {}, T.address + ': ', t.address) : null,
      ),
      h('p', { class: 'content' }, t.content),
    ];
  }

  function routingBox(label, routing, scene) {
    const lead = routing && routing.lead_unit;
    return h(
      'div',
      { class: 'proposal' },
      h(
        'p',
        {},
        h('strong', {}, lead ? label + ': ' + names.unit(lead) : T.noProposal),
        lead && routing.assisting_units && routing.assisting_units.length
          ? ' (' + T.assisting + ': ' + routing.assisting_units.map(names.unit).join('、') + ')'
          : null,
        lead ? ' · ' + (routing.confident ? T.confident : T.unsure) : null,
        routing && routing.rule ? ' · ' + T.rule + ' ' + routing.rule : null,
        scene && scene.found && scene.found.length
          ? ' · ' + T.scene + ': ' + scene.found.map((f) => (T.scenes[f.scene] || f.scene) + '（' + f.words.join('、') + '）').join('；')
          : null,
      ),
      routing && routing.considered && routing.considered.length
        ? h(
            'details',
            {},
            h('summary', {}, T.why),
            h('ul', {}, routing.considered.map((c) => h('li', {}, c.rule + ' — ' + c.outcome + ': ' + c.why))),
          )
        : null,
    );
  }

  function queueCard(item, refresh) {
    const t = item.ticket;
    const routing = item.routing || {};
    const card = h('li', { class: 'work-card' + (t.urgency === 'urgent' ? ' urgent' : ''), dataset: { ticket: t.id, number: t.number } });
    const note = h('input', { type: 'text', name: 'note', placeholder: T.note, 'aria-label': T.note });
    const other = h('input', { type: 'text', name: 'unit', list: 'units-datalist', placeholder: T.unitCode, 'aria-label': T.dispatchTo });
    const dispatch = (unit) =>
      S.act(
        card,
        () => post('/tickets/' + encodeURIComponent(t.id) + '/dispatch', {
          lead_unit: unit,
          assisting_units: unit === routing.lead_unit ? routing.assisting_units || [] : [],
          note: note.value.trim() || null,
        }),
        (r) => T.dispatched + ' → ' + names.unit(r.lead_unit),
      ).then((r) => r && setTimeout(refresh, 1200));
    card.append(...ticketHead(t), routingBox(T.proposal, routing, item.scene));
    const dup = item.duplicate;
    if (dup && dup.best) {
      const master = dup.master || dup.best;
      card.append(
        h(
          'div',
          { class: 'proposal duplicate' },
          h('p', {}, h('strong', {}, T.duplicate + ': '), dup.best.number, ' ', dup.best.title || '',
            ' · ' + T.similarity + ' ' + Number(dup.best.score || 0).toFixed(2),
            dup.best.shared_terms && dup.best.shared_terms.length ? ' · ' + T.shared + ': ' + dup.best.shared_terms.join('、') : null,
            dup.best.same_place ? ' · ' + T.samePlace + ': ' + dup.best.same_place : null),
          h('p', {}, T.master + ': ', master.number, ' ', master.title || ''),
          h('button', {
            type: 'button',
            class: 'merge',
            onclick: () =>
              S.act(card, () => post('/tickets/' + encodeURIComponent(t.id) + '/merge', { master_id: master.id }), () => T.merged + ' → ' + master.number)
                .then((r) => r && setTimeout(refresh, 1200)),
          }, T.merge + ' ' + master.number),
        ),
      );
    }
    card.append(
      h(
        'div',
        { class: 'actions' },
        routing.lead_unit
          ? h('button', { type: 'button', class: 'primary dispatch', onclick: () => dispatch(routing.lead_unit) },
              T.dispatch + ' → ' + names.unit(routing.lead_unit))
          : null,
        note,
      ),
      h(
        'div',
        { class: 'actions' },
        other,
        h('button', { type: 'button', class: 'dispatch-other', onclick: () => other.value.trim() && dispatch(unitCode(other.value)) }, T.dispatchTo),
      ),
    );
    return card;
  }

  function returnCard(item, refresh) {
    const t = item.ticket;
    const card = h('li', { class: 'work-card warned', dataset: { ticket: t.id, number: t.number } });
    const note = h('input', { type: 'text', name: 'note', placeholder: T.reviewNote, 'aria-label': T.reviewNote });
    const other = h('input', { type: 'text', name: 'unit', list: 'units-datalist', placeholder: T.unitCode, 'aria-label': T.unitCode });
    const flag = h('input', { type: 'checkbox', name: 'flag_rule' });
    const review = (decision) => {
      const body = { decision, note: note.value.trim() || null };
      if (decision === 'uphold') {
        if (other.value.trim()) {
          body.redispatch_to = unitCode(other.value);
        }
        body.flag_rule = flag.checked;
      }
      return S.act(
        card,
        () => post('/tickets/' + encodeURIComponent(t.id) + '/review', body),
        (r) => (decision === 'uphold' ? T.upheld + ' → ' + names.unit(r.lead_unit) : T.refused),
      ).then((r) => r && setTimeout(refresh, 1200));
    };
    card.append(
      ...ticketHead(t),
      h('p', { class: 'proposal' }, h('strong', {}, T.returnedBy + ': ' + names.unit(item.returned_by)), ' · ', when(item.returned_at),
        h('br'), T.reason + ': ', item.reason),
      routingBox(T.redispatch, item.redispatch),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary uphold', onclick: () => review('uphold') }, T.uphold),
        other,
        h('label', {}, flag, ' ', T.flag)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'refuse', onclick: () => review('refuse') }, T.refuse),
        note),
    );
    return card;
  }

  async function load() {
    names = names || (await S.names());
    S.unitList();
    const queue = document.getElementById('dispatch-queue');
    const returns = document.getElementById('dispatch-returns');
    const [q, r] = await Promise.allSettled([api('/dispatch/queue?limit=50'), api('/dispatch/returns?limit=50')]);
    if (q.status === 'fulfilled') {
      const items = q.value.items || [];
      queue.replaceChildren(...(items.length ? items.map((i) => queueCard(i, load)) : [h('li', { class: 'empty-note' }, T.empty)]));
      document.getElementById('queue-count').textContent = String(items.length);
    } else {
      queue.replaceChildren(h('li', { class: 'empty-note' }, T.loadFailed + ': ' + q.reason.message));
    }
    if (r.status === 'fulfilled') {
      const items = r.value.items || [];
      returns.replaceChildren(...(items.length ? items.map((i) => returnCard(i, load)) : [h('li', { class: 'empty-note' }, T.emptyReturns)]));
      document.getElementById('returns-count').textContent = String(items.length);
    } else {
      returns.replaceChildren(h('li', { class: 'empty-note' }, T.loadFailed + ': ' + r.reason.message));
    }
    root.dataset.state = 'ready';
  }

  S.tabs(root);
  // Keep the queue current, but never under a dispatcher's hands: skip while typing.
  S.refreshEvery(root, load, 30000);
})();

// history.js: decided (final) requests with filters and paging. The
// filters live in the page URL (/ui/history?status=denied&host=web1...),
// so a view can be reloaded, bookmarked and sent to someone. Paging goes
// backwards in time with `before` (created_at of the last row shown).

import {api} from './api.js';
import {h, clear, errorBox, retryBox, transient} from './dom.js';
import {subscribe} from './events.js';
import {requestRow} from './reqview.js';

const PAGE = 50;
const STATUS_CHOICES = [
  ['final', 'any decided'],
  ['approved', 'approved'],
  ['denied', 'denied'],
  ['expired', 'expired'],
  ['cancelled', 'cancelled'],
];
const INITIATOR_CHOICES = [
  ['', 'anyone'],
  ['human', 'human'],
  ['agent', 'agent'],
  ['ci', 'CI'],
];
const TEXT_FILTERS = [
  ['host', 'Host'],
  ['requester', 'Requester'],
  ['approver', 'Approver'],
];

// A yyyy-mm-dd from a date input as the ISO instant of local midnight
// (plus days), or null.
function dayStart(s, plusDays = 0) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

export function mount(main, {go}) {
  const q = new URLSearchParams(location.search);
  const status = STATUS_CHOICES.some(([v]) => v === q.get('status')) ? q.get('status') : 'final';

  const statusSel = h('select', {id: 'f-status', name: 'status'},
    STATUS_CHOICES.map(([v, label]) => h('option', {value: v, selected: v === status}, label)));
  const initiator = INITIATOR_CHOICES.some(([v]) => v && v === q.get('initiator')) ? q.get('initiator') : '';
  const initSel = h('select', {id: 'f-initiator', name: 'initiator'},
    INITIATOR_CHOICES.map(([v, label]) => h('option', {value: v, selected: v === initiator}, label)));
  const inputs = {};
  const form = h('form', {class: 'filters card', role: 'search', 'aria-label': 'Filter history'},
    h('div', {class: 'f'}, h('label', {for: 'f-status'}, 'Status'), statusSel),
    h('div', {class: 'f'}, h('label', {for: 'f-initiator'}, 'Initiated by'), initSel),
    TEXT_FILTERS.map(([k, label]) => {
      inputs[k] = h('input', {id: `f-${k}`, name: k, type: 'text', maxlength: 256,
        autocapitalize: 'none', spellcheck: 'false', value: q.get(k) || ''});
      return h('div', {class: 'f'}, h('label', {for: `f-${k}`}, label), inputs[k]);
    }),
    h('div', {class: 'f'}, h('label', {for: 'f-from'}, 'From'),
      inputs.from = h('input', {id: 'f-from', name: 'from', type: 'date', value: q.get('from') || ''})),
    h('div', {class: 'f'}, h('label', {for: 'f-to'}, 'To'),
      inputs.to = h('input', {id: 'f-to', name: 'to', type: 'date', value: q.get('to') || ''})),
    h('div', {class: 'f f-buttons'},
      h('button', {type: 'submit', class: 'primary'}, 'Filter'),
      h('a', {href: '/ui/history', class: 'button', 'data-nav': true}, 'Clear')));

  const list = h('ul', {class: 'reqs', id: 'history-list'});
  const info = h('div', {class: 'list-status'});
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages'});
  main.appendChild(h('section', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {}, 'History'),
      h('p', {class: 'muted'}, 'Decided, expired and cancelled requests, newest first.')),
    form, info, list, pager));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (statusSel.value !== 'final') p.set('status', statusSel.value);
    if (initSel.value) p.set('initiator', initSel.value);
    for (const k of ['host', 'requester', 'approver', 'from', 'to']) {
      const v = inputs[k].value.trim();
      if (v) p.set(k, v);
    }
    const s = p.toString();
    go('/ui/history' + (s ? `?${s}` : ''));
  });

  // The API query for this view.
  const params = {status, limit: String(PAGE + 1)};
  if (initiator) params.initiator = initiator;
  for (const [k] of TEXT_FILTERS) if (q.get(k)) params[k] = q.get(k);
  const from = dayStart(q.get('from'));
  const to = dayStart(q.get('to'), 1);
  if (from) params.from = from;
  if (to) params.to = to;
  const before = q.get('before');
  if (before && !Number.isNaN(Date.parse(before))) params.before = before;

  let alive = true;
  let retry = null;
  async function load() {
    if (retry) { retry.stop(); retry = null; }
    try {
      const r = await api.list(params);
      if (!alive) return;
      const reqs = Array.isArray(r.requests) ? r.requests : [];
      const more = reqs.length > PAGE;
      const rows = reqs.slice(0, PAGE);
      clear(info);
      clear(list);
      clear(pager);
      document.title = 'History · approvald';
      if (!rows.length) info.appendChild(h('p', {class: 'empty'}, 'No requests match.'));
      for (const x of rows) list.appendChild(requestRow(x, {mode: 'history'}));
      const base = new URLSearchParams(location.search);
      base.delete('before');
      if (params.before) {
        const s = base.toString();
        pager.appendChild(h('a', {href: '/ui/history' + (s ? `?${s}` : ''), class: 'button', 'data-nav': true}, '← Newest'));
      }
      if (more) {
        const next = new URLSearchParams(base);
        next.set('before', rows[rows.length - 1].created_at);
        pager.appendChild(h('a', {href: `/ui/history?${next}`, class: 'button', id: 'older', 'data-nav': true}, 'Older →'));
      }
    } catch (e) {
      if (!alive || e.status === 401) return;
      clear(info).appendChild(transient(e) ? (retry = retryBox(e.message, () => { if (alive) load(); })) : errorBox(e.message));
    }
  }
  // On the first page, decisions made elsewhere appear without reload.
  const unsub = params.before ? () => {} : subscribe((evs) => {
    if (evs.some((e) => e.kind !== 'created')) load();
  });
  load();
  return () => { alive = false; unsub(); if (retry) retry.stop(); };
}

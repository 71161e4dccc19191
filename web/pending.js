// pending.js: every pending request, reachable however many there are:
// sorted by time left (default: the requester's deadline, soonest first),
// by age (oldest first) or newest first; filtered by host, requester,
// service and text in the command; identical requests (same requester,
// host, target and command digest) grouped into one row with their count
// (default on); paged (PAGE rows, "Next"/"Previous" with the range and the
// total). The view lives in the page URL (/ui/?sort=oldest&host=web1&
// offset=100), so it can be reloaded and sent to a colleague. Kept current
// by the event stream (a burst of events reloads the page once) and the
// ticker (ages and time left).

import {api} from './api.js';
import {h, clear, errorBox, retryBox, transient} from './dom.js';
import {subscribe} from './events.js';
import * as badge from './badge.js';
import {requestRow} from './reqview.js';

export const PAGE = 100;
const SORTS = [
  ['expires', 'time left'],
  ['oldest', 'age: oldest first'],
  ['newest', 'newest first'],
];
const TEXT_FILTERS = [
  ['host', 'Host'],
  ['requester', 'Requester'],
  ['service', 'Service'],
  ['q', 'Command contains'],
];

const fmt = (n) => n.toLocaleString('en-US');

export function mount(main, {go}) {
  const q = new URLSearchParams(location.search);
  const sort = SORTS.some(([v]) => v === q.get('sort')) ? q.get('sort') : 'expires';
  const group = q.get('group') !== '0';
  const offset = Math.max(0, Math.min(1000000, Number.parseInt(q.get('offset') || '0', 10) || 0));

  const sortSel = h('select', {id: 'p-sort', name: 'sort'},
    SORTS.map(([v, label]) => h('option', {value: v, selected: v === sort}, label)));
  const groupBox = h('input', {id: 'p-group', name: 'group', type: 'checkbox', checked: group});
  const inputs = {};
  const form = h('form', {class: 'filters card', role: 'search', 'aria-label': 'Filter pending requests'},
    h('div', {class: 'f'}, h('label', {for: 'p-sort'}, 'Sort by'), sortSel),
    TEXT_FILTERS.map(([k, label]) => {
      inputs[k] = h('input', {id: `p-${k}`, name: k, type: 'text', maxlength: 256,
        autocapitalize: 'none', spellcheck: 'false', value: q.get(k) || ''});
      return h('div', {class: 'f'}, h('label', {for: `p-${k}`}, label), inputs[k]);
    }),
    h('div', {class: 'f f-check'}, groupBox, h('label', {for: 'p-group'}, 'Group identical requests')),
    h('div', {class: 'f f-buttons'},
      h('button', {type: 'submit', class: 'primary'}, 'Show'),
      h('a', {href: '/ui/', class: 'button', 'data-nav': true}, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (sortSel.value !== 'expires') p.set('sort', sortSel.value);
    if (!groupBox.checked) p.set('group', '0');
    for (const [k] of TEXT_FILTERS) {
      const v = inputs[k].value.trim();
      if (v) p.set(k, v);
    }
    const s = p.toString();
    go('/ui/' + (s ? `?${s}` : ''));
  });

  const list = h('ul', {class: 'reqs', id: 'pending-list'});
  const status = h('div', {class: 'list-status', id: 'pending-status', 'aria-live': 'polite'});
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages'});
  main.appendChild(h('section', {class: 'page'},
    h('div', {class: 'page-head'},
      h('h1', {}, 'Pending requests'),
      h('p', {class: 'muted'}, 'Elevations waiting for a decision. New ones appear here as they arrive.')),
    form, status, list, pager));

  const filtered = TEXT_FILTERS.some(([k]) => q.get(k));
  const params = {status: 'pending', limit: String(PAGE), offset: String(offset), sort,
    group: group ? '1' : '0', total: '1'};
  for (const [k] of TEXT_FILTERS) if (q.get(k)) params[k] = q.get(k);

  let seen = null;     // ids shown before, to mark new arrivals
  let gen = 0;
  let timer = null;
  let retry = null;
  let alive = true;

  function pageLink(off, text, id) {
    const p = new URLSearchParams(location.search);
    if (off) p.set('offset', String(off)); else p.delete('offset');
    const s = p.toString();
    return h('a', {href: '/ui/' + (s ? `?${s}` : ''), class: 'button', id, 'data-nav': true}, text);
  }

  async function load() {
    const mine = ++gen;
    if (retry) { retry.stop(); retry = null; }
    try {
      const r = await api.list(params);
      if (!alive || mine !== gen) return;
      const reqs = Array.isArray(r.requests) ? r.requests : [];
      const total = Number.isInteger(r.total) ? r.total : offset + reqs.length;
      const requests = Number.isInteger(r.total_requests) ? r.total_requests : total;
      clear(status);
      clear(list);
      clear(pager);
      if (!filtered) updateCount(requests);
      if (!reqs.length) {
        status.appendChild(h('p', {class: 'empty'}, offset ? 'No more requests on this page.' :
          filtered ? 'No pending request matches.' : 'Nothing is waiting. This page updates by itself.'));
      } else {
        const rows = group && requests !== total ? `${fmt(total)} rows for ${fmt(requests)} requests` : `${fmt(requests)} requests`;
        status.appendChild(h('p', {class: 'range', id: 'pending-range'},
          `Showing ${fmt(offset + 1)}–${fmt(offset + reqs.length)} of ${rows}` +
          (filtered ? ' matching the filter' : ' pending') + '.'));
      }
      for (const x of reqs) {
        const row = requestRow(x, {mode: 'pending'});
        if (seen && !seen.has(x.id)) row.classList.add('new');
        list.appendChild(row);
      }
      seen = new Set(reqs.map((x) => x.id));
      if (offset > 0) pager.appendChild(pageLink(Math.max(0, offset - PAGE), '← Previous', 'prev'));
      if (offset + reqs.length < total) {
        pager.appendChild(pageLink(offset + PAGE, `Next ${fmt(Math.min(PAGE, total - offset - reqs.length))} →`, 'next'));
        pager.appendChild(h('span', {class: 'more', id: 'pending-more'}, `${fmt(total - offset - reqs.length)} more`));
      }
    } catch (e) {
      if (!alive || mine !== gen || e.status === 401) return;
      clear(status).appendChild(transient(e) ? (retry = retryBox(e.message, () => { if (alive) load(); })) : errorBox(e.message));
    }
  }

  // Several events in a burst cause one reload.
  const unsub = subscribe(() => {
    clearTimeout(timer);
    timer = setTimeout(load, 50);
  });
  load();
  return () => {
    alive = false;
    unsub();
    clearTimeout(timer);
    if (retry) retry.stop();
  };
}

// The nav count follows events on every page (badge.js); this page knows
// the number first, so the count and the list never disagree here.
function updateCount(n) {
  badge.set(n);
  document.title = n ? `(${fmt(n)}) Pending · approvald` : 'Pending · approvald';
}

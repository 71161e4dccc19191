// pending.js: every pending request, newest first, kept current by the
// event stream (a created/decided/expired/cancelled event reloads the list
// at once) and by the ticker (ages and time left).

import {api} from './api.js';
import {h, clear, errorBox} from './dom.js';
import {subscribe} from './events.js';
import * as badge from './badge.js';
import {requestRow} from './reqview.js';

export function mount(main) {
  const list = h('ul', {class: 'reqs', id: 'pending-list', 'aria-live': 'polite'});
  const status = h('div', {class: 'list-status'});
  main.appendChild(h('section', {class: 'page'},
    h('div', {class: 'page-head'},
      h('h1', {}, 'Pending requests'),
      h('p', {class: 'muted'}, 'Elevations waiting for a decision. New ones appear here as they arrive.')),
    status, list));

  let seen = null;     // ids shown before, to mark new arrivals
  let gen = 0;
  let timer = null;
  let alive = true;

  async function load() {
    const mine = ++gen;
    try {
      const r = await api.list({status: 'pending', limit: '500'});
      if (!alive || mine !== gen) return;
      const reqs = Array.isArray(r.requests) ? r.requests : [];
      clear(status);
      clear(list);
      updateCount(reqs.length);
      if (!reqs.length) {
        status.appendChild(h('p', {class: 'empty'}, 'Nothing is waiting. This page updates by itself.'));
      }
      for (const q of reqs) {
        const row = requestRow(q, {mode: 'pending'});
        if (seen && !seen.has(q.id)) row.classList.add('new');
        list.appendChild(row);
      }
      seen = new Set(reqs.map((q) => q.id));
    } catch (e) {
      if (!alive || mine !== gen || e.status === 401) return;
      clear(status).appendChild(errorBox(e.message));
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
  };
}

// The nav count follows events on every page (badge.js); this page knows
// the number first, so the count and the list never disagree here.
function updateCount(n) {
  badge.set(n);
  document.title = n ? `(${n}) Pending · approvald` : 'Pending · approvald';
}

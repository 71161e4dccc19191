// badge.js: the "Pending N" count in the navigation, kept current on every
// page while signed in. It listens to the app's one event loop (events.js;
// it starts no loop of its own): a burst of events reloads the count once.
// The pending page, which loads the same list anyway, hands its count in
// with set(). stop() at sign-out clears and hides the count.

import {api} from './api.js';
import {subscribe} from './events.js';

let unsub = null;
let timer = null;
let gen = 0;           // the newest answer wins; set() and stop() void older ones

function show(n) {
  const el = document.getElementById('pending-count');
  if (!el) return;
  el.hidden = !(n > 0);
  el.textContent = n > 0 ? String(n) : '';
  el.title = n > 0 ? `${el.textContent} pending` : '';
}

async function refresh() {
  const mine = ++gen;
  try {
    // the total of every pending request, however many (one row fetched)
    const r = await api.list({status: 'pending', limit: '1', total: '1'});
    if (!unsub || mine !== gen) return;
    show(Number.isInteger(r.total_requests) ? r.total_requests : 0);
  } catch (e) {
    // keep the last count; events.js shows connection trouble, a 401 signs out
  }
}

// ready: a promise that resolves once the event loop knows its position
// (events.start()), so no change falls between the first count and the
// first event.
export function start(ready) {
  if (unsub) return;
  unsub = subscribe(() => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  });
  Promise.resolve(ready).then(() => { if (unsub) refresh(); });
}

export function set(n) {
  gen++;
  show(n);
}

export function stop() {
  if (unsub) unsub();
  unsub = null;
  clearTimeout(timer);
  gen++;
  show(0);
}

// badge.js: the "Pending N" count in the navigation, and the number of
// break-glass items that need review next to "Break-glass", kept current on every
// page while signed in. It listens to the app's one event loop (events.js;
// it starts no loop of its own): a burst of events reloads the count once.
// The pending page, which loads the same list anyway, hands its count in
// with set(), the Break-glass page with setBreakglass(). stop() at
// sign-out clears and hides the counts. (An offline use reported by a
// host makes no request event: its count shows at the next event or
// page load.)

import {api} from './api.js';
import {subscribe} from './events.js';

let unsub = null;
let timer = null;
let gen = 0;           // the newest answer wins; set() and stop() void older ones

let bgGen = 0;

function showIn(id, n, what) {
  const el = document.getElementById(id);
  if (!el) return;
  el.hidden = !(n > 0);
  el.textContent = n > 0 ? String(n) : '';
  el.title = n > 0 ? `${el.textContent} ${what}` : '';
}

const show = (n) => showIn('pending-count', n, 'pending');
const showBreakglass = (n) => showIn('breakglass-count', n, 'need review');

async function refresh() {
  const mine = ++gen;
  const bgMine = ++bgGen;
  // the total of every pending request, however many (one row fetched),
  // and the break-glass items that need review (one item fetched)
  const [list, bg] = await Promise.allSettled([
    api.list({status: 'pending', limit: '1', total: '1'}),
    api.breakglass(false, {limit: 1}),
  ]);
  // a failed one keeps its last count; events.js shows connection
  // trouble, a 401 signs out
  if (!unsub) return;
  if (list.status === 'fulfilled' && mine === gen)
    show(Number.isInteger(list.value.total_requests) ? list.value.total_requests : 0);
  if (bg.status === 'fulfilled' && bgMine === bgGen)
    showBreakglass(Number.isInteger(bg.value.open) ? bg.value.open : 0);
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

export function setBreakglass(n) {
  bgGen++;
  showBreakglass(n);
}

export function stop() {
  if (unsub) unsub();
  unsub = null;
  clearTimeout(timer);
  gen++;
  bgGen++;
  show(0);
  showBreakglass(0);
}

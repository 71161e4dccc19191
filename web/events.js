// events.js: one long-poll loop over GET /v1/events for the whole page.
// Pages subscribe to hear about every change (created, decided, expired,
// cancelled) within a second, without reloading. The loop first learns the
// current event id, so a page that loads its data after start() and then
// listens misses nothing; on errors it retries every RETRY_MS and says so
// in the status line, which clears with the first answer after recovery
// (within two seconds of it). Each start() gets a new epoch: a loop left
// over from before a stop() (asleep or mid-request) ends instead of running
// beside the new one.

import {api, ApiError} from './api.js';

const listeners = new Set();
let running = false;
let epoch = 0;
let abort = null;
let last = null;
let statusEl = null;

function setStatus(text, kind) {
  if (!statusEl) return;
  statusEl.hidden = !text;
  statusEl.textContent = text || '';
  statusEl.className = `live ${kind || ''}`;
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RETRY_MS = 1000;

// Resolves once the current position is known (so callers can load
// their data afterwards), then keeps polling until stop().
export async function start(el) {
  statusEl = el;
  if (running) return;
  running = true;
  const mine = ++epoch;
  const live = () => running && mine === epoch;
  for (;;) {
    if (!live()) return;
    try {
      const r = await api.events(null, 0);
      if (!live()) return;
      last = typeof r.last === 'number' ? r.last : 0;
      break;
    } catch (e) {
      if (!live()) return;
      if (e instanceof ApiError && e.status === 401) { running = false; return; }
      setStatus('Live updates unavailable; retrying…', 'bad');
      await sleep(RETRY_MS);
    }
  }
  setStatus('', '');
  loop(live);
}

async function loop(live) {
  let probe = false;   // after a failure: answer at once, so the banner clears
  while (live()) {
    abort = new AbortController();
    try {
      const r = await api.events(last, probe ? 0 : 25, abort.signal);
      probe = false;
      if (!live()) return;
      setStatus('', '');
      if (typeof r.last === 'number') last = r.last;
      const evs = Array.isArray(r.events) ? r.events : [];
      if (evs.length) for (const fn of [...listeners]) fn(evs);
    } catch (e) {
      if (!live() || e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) { running = false; return; }
      setStatus('Live updates interrupted; reconnecting…', 'bad');
      probe = true;
      await sleep(RETRY_MS);
    }
  }
}

export function stop() {
  running = false;
  epoch++;
  if (abort) abort.abort();
  abort = null;
  setStatus('', '');
}

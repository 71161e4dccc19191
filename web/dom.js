// dom.js: building DOM nodes and formatting values for display.
// Safety contract: every value that came from the server (and so possibly
// from a requester: commands, reasons, tickets, comments) reaches the page
// through text nodes only (textContent / createTextNode). Nothing here
// parses HTML; innerHTML is not used anywhere in the UI.

// h('div', {class: 'x', onclick: fn}, 'text', node, [more]) -> Element.
// Strings become text nodes; null/undefined/false children are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Characters that hide or reorder what an approver reads (controls,
// zero-width and bidirectional overrides, "Trojan Source", tag characters):
// shown as a visible marker such as <U+202E> instead of taking effect. The
// list of common/text.h (approve_cp_hostile), plus TAB/LF kept as layout,
// plus variation selectors U+FE00..U+FE0F.
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]/u;
const HIDDEN_G = new RegExp(HIDDEN.source, 'gu');

// Untrusted text as nodes: plain text with hidden characters made visible.
export function visible(s) {
  s = s === null || s === undefined ? '' : String(s);
  if (!HIDDEN.test(s)) return document.createTextNode(s);
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of s.matchAll(HIDDEN_G)) {
    if (m.index > last) frag.appendChild(document.createTextNode(s.slice(last, m.index)));
    const cp = m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    frag.appendChild(h('span', {class: 'ctrl', title: 'hidden character'}, `<U+${cp}>`));
    last = m.index + m[0].length;
  }
  if (last < s.length) frag.appendChild(document.createTextNode(s.slice(last)));
  return frag;
}

export const STATES = ['pending', 'approved', 'denied', 'expired', 'cancelled'];

// A state shown by colour and by word.
export function badge(status) {
  const s = STATES.includes(status) ? status : 'unknown';
  return h('span', {class: `badge badge-${s}`}, s);
}

// ---- time -------------------------------------------------------------

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t) : null;
}

const pad = (n) => String(n).padStart(2, '0');

// "2026-11-26 11:22" in the browser's time zone, with the zone name.
export function absTime(d) {
  if (!d) return '';
  let zone = '';
  try {
    zone = new Intl.DateTimeFormat(undefined, {timeZoneName: 'short'})
      .formatToParts(d).find((p) => p.type === 'timeZoneName')?.value || '';
  } catch (e) { /* keep it without a zone name */ }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    (zone ? ` ${zone}` : '');
}

// Span of seconds in words: "42 s", "5 min", "3 h 10 min", "2 d 4 h".
export function span(sec) {
  sec = Math.max(0, Math.round(sec));
  if (sec < 60) return `${sec} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} min`;
  const hr = Math.floor(m / 60);
  if (hr < 24) return m % 60 ? `${hr} h ${m % 60} min` : `${hr} h`;
  const d = Math.floor(hr / 24);
  return hr % 24 ? `${d} d ${hr % 24} h` : `${d} d`;
}

// "5 min ago" / "in 5 min" relative to now.
export function relTime(d, now = Date.now()) {
  if (!d) return '';
  const diff = (d.getTime() - now) / 1000;
  if (Math.abs(diff) < 1.5) return 'just now';
  return diff < 0 ? `${span(-diff)} ago` : `in ${span(diff)}`;
}

// A <time> whose relative text the ticker keeps current; the absolute
// time is shown beside it (and in the tooltip as UTC).
// mode: 'ago' (age), 'left' (time left until d) or 'rel'.
export function timeEl(iso, mode = 'rel') {
  const d = parseTime(iso);
  if (!d) return h('span', {class: 'muted'}, '—');
  const rel = h('span', {class: 'rel', dataset: {t: String(d.getTime()), mode}});
  renderRel(rel);
  return h('time', {datetime: iso, title: d.toISOString()},
    rel, h('span', {class: 'abs'}, absTime(d)));
}

function renderRel(el, now = Date.now()) {
  const t = Number(el.dataset.t);
  const mode = el.dataset.mode;
  if (mode === 'left') {
    const left = (t - now) / 1000;
    el.textContent = left > 0 ? `${span(left)} left` : 'expiring';
    el.classList.toggle('soon', left > 0 && left < 120);
  } else if (mode === 'ago') {
    el.textContent = now - t < 1500 ? 'just now' : `${span((now - t) / 1000)} ago`;
  } else {
    el.textContent = relTime(new Date(t), now);
  }
}

// Keep relative times current once a second.
export function startTicker() {
  setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll('span.rel[data-t]')) renderRel(el, now);
  }, 1000);
}

// ---- small pieces -----------------------------------------------------

export function field(label, value, opts = {}) {
  const empty = value === null || value === undefined || value === '';
  return [
    h('dt', {}, label, opts.note ? h('span', {class: 'note'}, opts.note) : null),
    h('dd', {class: opts.mono ? 'mono' : null},
      empty ? h('span', {class: 'muted'}, opts.empty || 'none') :
        value instanceof Node ? value : visible(value)),
  ];
}

export function errorBox(msg) {
  return h('div', {class: 'error', role: 'alert'}, msg);
}

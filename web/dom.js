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

// ---- commands as approvers read them ----------------------------------
// The rules of common/text.h approve_command_display (approvalctl uses the
// C one; tests/unit/test_text.c and tests/browser/hostile.test.mjs hold
// the same cases): LF ⏎, CR ␍, TAB ⇥; a run of more than BLANK_RUN of one
// blank is one marker with its count (␣×120, ⏎×40); other hidden
// characters <U+XXXX>; longer than max characters: head (two thirds) … tail
// (one third, at least the last unit), so the end is never cut off.
export const BLANK_RUN = 3;
const BLANK_MARK = {' ': '\u2423', '\n': '\u23ce', '\r': '\u240d', '\t': '\u21e5'};
const BLANK_WORD = {' ': 'spaces', '\n': 'line breaks', '\r': 'carriage returns', '\t': 'tabs'};
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;
const cpLen = (t) => Array.from(t).length;

// Units of s: {t: text shown, mark: title or null, w: width}, and the
// shape {lines, chars, rtl}.
function commandUnits(s) {
  const cps = Array.from(s);
  const units = [];
  let lines = 1, rtl = false;
  for (let i = 0; i < cps.length;) {
    const c = cps[i];
    if (BLANK_MARK[c]) {
      let run = 1;
      while (i + run < cps.length && cps[i + run] === c) run++;
      for (let j = i; j < i + run; j++) {
        if (cps[j] === '\n' || (cps[j] === '\r' && cps[j + 1] !== '\n')) lines++;
      }
      if (run > BLANK_RUN) {
        const t = `${BLANK_MARK[c]}\u00d7${run}`;
        units.push({t, mark: `${run} ${BLANK_WORD[c]}`, w: cpLen(t)});
        i += run;
        continue;
      }
      units.push(c === ' ' ? {t: ' ', mark: null, w: 1} :
        {t: BLANK_MARK[c], mark: BLANK_WORD[c].replace(/s$/, ''), w: 1});
      i++;
      continue;
    }
    if (HIDDEN.test(c)) {
      const t = `<U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}>`;
      units.push({t, mark: 'hidden character', w: t.length});
    } else {
      if (RTL.test(c)) rtl = true;
      units.push({t: c, mark: null, w: 1});
    }
    i++;
  }
  return {units, lines, rtl, chars: units.reduce((a, u) => a + u.w, 0)};
}

// {parts: [{t, mark}], text (all of it as shown), lines, chars, rtl, cut}.
export function commandParts(s, max = Infinity) {
  s = s === null || s === undefined ? '' : String(s);
  const {units, lines, rtl, chars} = commandUnits(s);
  let parts = units;
  let cut = false;
  if (chars > max) {
    max = Math.max(max, 8);
    const head = Math.floor((max * 2) / 3);
    const tail = max - head - 3;
    let acc = 0, tailAt = units.length - 1;
    for (let i = 0; i < units.length; i++) {
      if (chars - acc <= tail) { tailAt = i; break; }
      acc += units[i].w;
    }
    parts = [];
    acc = 0;
    units.forEach((u, i) => {
      if (i >= tailAt || acc + u.w <= head) parts.push(u);
      else if (!cut) { cut = true; parts.push({t: ' \u2026 ', mark: 'middle of the command left out', w: 3}); }
      acc += u.w;
    });
  }
  // adjacent plain units as one text
  const merged = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (!p.mark && last && !last.mark) last.t += p.t;
    else merged.push({t: p.t, mark: p.mark});
  }
  return {parts: merged, text: merged.map((p) => p.t).join(''), lines, chars, rtl, cut};
}

// A command as nodes: markers as spans, right-to-left text in an isolated
// left-to-right box (stored order, nothing reordered) with a marker, and
// the line count when there is more than one line. opts: {max, id, cls}.
export function commandView(s, opts = {}) {
  const v = commandParts(s, opts.max);
  const body = h(v.rtl ? 'bdo' : 'span', {class: 'cmd-text', dir: v.rtl ? 'ltr' : null},
    v.parts.map((p) => p.mark ? h('span', {class: p.t === ' \u2026 ' ? 'cut' : 'ctrl', title: p.mark}, p.t) : p.t));
  const notes = [];
  if (v.lines > 1) notes.push(h('span', {class: 'cmd-note lines'}, `command has ${v.lines} lines`));
  if (v.rtl) notes.push(h('span', {class: 'cmd-note rtl'}, 'right-to-left text, shown left to right in stored order'));
  return {node: body, notes, view: v};
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
// mode: 'ago' (age), 'left' (time left until d), 'giveup' ("in 5 min",
// the requester's own deadline) or 'rel'.
export function timeEl(iso, mode = 'rel') {
  const d = parseTime(iso);
  if (!d) return h('span', {class: 'muted'}, '—');
  const rel = h('span', {class: 'rel', dataset: {t: String(d.getTime()), mode}});
  renderRel(rel);
  return h('time', {datetime: iso, title: d.toISOString()},
    rel, h('span', {class: 'sep', 'aria-hidden': 'true'}, ' · '), h('span', {class: 'abs'}, absTime(d)));
}

function renderRel(el, now = Date.now()) {
  const t = Number(el.dataset.t);
  const mode = el.dataset.mode;
  if (mode === 'left') {
    const left = (t - now) / 1000;
    el.textContent = left > 0 ? `${span(left)} left` : 'expiring';
    el.classList.toggle('soon', left > 0 && left < 120);
  } else if (mode === 'giveup') {
    const left = (t - now) / 1000;
    el.textContent = left > 0 ? `in ${span(left)}` : 'now';
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

// The deadline the requester will actually wait for: expires_at, which
// approvald sets to the earlier of the module's own deadline
// (requester_gives_up_at) and its TTL; the earlier of the two if a
// server reports them apart.
export function giveUpAt(r) {
  const a = r.requester_gives_up_at, b = r.expires_at;
  if (a && b) return Date.parse(a) < Date.parse(b) ? a : b;
  return a || b || null;
}

// A failure that may pass (server unreachable, 5xx): the message, a
// visible countdown and a "Retry now" button; fn runs when the countdown
// ends or the button is pressed. Returns the box; its stop() cancels.
export const RETRY_S = 5;
export function retryBox(msg, fn, seconds = RETRY_S) {
  let left = seconds;
  const count = h('span', {class: 'countdown'}, String(left));
  const box = h('div', {class: 'error retry', role: 'alert'},
    h('p', {}, msg),
    h('p', {}, 'Retrying in ', count, ' s. ',
      h('button', {type: 'button', class: 'link retry-now', onclick: () => fire()}, 'Retry now')));
  const timer = setInterval(() => {
    left--;
    count.textContent = String(Math.max(left, 0));
    if (left <= 0) fire();
  }, 1000);
  let done = false;
  function fire() {
    if (done) return;
    done = true;
    clearInterval(timer);
    fn();
  }
  box.stop = () => { done = true; clearInterval(timer); };
  return box;
}

// 1 for an error that retrying may cure: no answer, or a 5xx.
export function transient(e) {
  return e && (e.status === 0 || e.status >= 500);
}

// reports.js: the reports page (/ui/reports?from=YYYY-MM-DD&to=YYYY-MM-DD,
// issue 4 item 6). For a period of days (in the report time zone) it reads
// GET /v1/reports/elevations once and draws, as inline SVG made here (no
// library, no CDN, nothing inline for the CSP to refuse): elevations per
// day stacked by outcome, the distribution of decision latency, and the top
// requesters, hosts and commands. Each chart links to the CSV of the report
// it comes from (GET /v1/reports/NAME.csv, downloaded with the session
// cookie), and every report of the catalogue is listed with its CSV.
// Values from the server are untrusted text: they reach the page through
// text nodes only, with hidden characters made visible (dom.js visible()).
// No two labels of a chart overlap, whatever their length or the width:
// row labels are fitted to the chart (head … tail), x-axis labels that
// would touch take another row (settle(), once the charts are laid out).

import {api} from './api.js';
import {h, clear, errorBox, visible, span} from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const OUTCOMES = ['approved', 'denied', 'expired', 'cancelled', 'pending'];
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;   // one bar a day; longer periods are refused here
const TOP = 10;
const LABEL_MAX = 70;   // characters of a label shown at most (fitted to the chart's width); all in the tooltip
const XTICK_DY = 18;    // an x-axis label's baseline below the axis: clear of the y-axis "0"
const XTICK_ROW = 14;   // another row of x-axis labels, when neighbours would overlap
// Decision latency buckets: [upper bound in seconds, label].
const BUCKETS = [
  [10, '<10 s'], [30, '10–30 s'], [60, '30–60 s'], [120, '1–2 min'], [300, '2–5 min'],
  [600, '5–10 min'], [1800, '10–30 min'], [3600, '30–60 min'], [Infinity, '≥1 h'],
];

// ---- small helpers -----------------------------------------------------

// An SVG element; string children become text nodes.
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// The first and last of k code points of cps around "…" (a third of them
// from the end: the end of a host name or a command is never lost).
function headTail(cps, k) {
  if (cps.length <= k) return cps.join('');
  const tail = Math.floor(k / 3);
  return cps.slice(0, k - tail).join('') + '…' + (tail ? cps.slice(cps.length - tail).join('') : '');
}

// Untrusted text as a plain string with hidden characters shown as
// <U+XXXX> (SVG text cannot hold dom.js's marker spans), cut for display
// (fitLabels() cuts it further to the chart's width).
function label(v, max = LABEL_MAX) {
  const t = visible(v === null || v === undefined || v === '' ? '(none)' : v).textContent;
  return {full: t, shown: headTail(Array.from(t), max)};
}

// A count in at most four characters (a bar's value label fits its slot).
const compact = (n) => (n < 10000 ? String(n) : n < 1e6 ? `${Math.round(n / 1000)}k` : `${Math.round(n / 1e6)}M`);

// ---- labels that never overlap ---------------------------------------------
// Run once a chart is in the page (measuring needs layout), in the chart's
// own units (the SVG scales as a whole, so what is apart stays apart).

function box(el) {
  const b = el.getBBox();
  return {x0: b.x, x1: b.x + b.width, y0: b.y, y1: b.y + b.height};
}
const hit = (a, b, gap = 2) => a.x0 < b.x1 + gap && b.x0 < a.x1 + gap && a.y0 < b.y1 && b.y0 < a.y1;

// Each row label of a top chart within the chart's width: a label too wide
// keeps its head and its tail around "…" (the whole text is the tooltip).
function fitLabels(svg, width) {
  for (const t of svg.querySelectorAll('text.rp-label')) {
    if (t.getComputedTextLength() <= width) continue;
    const cps = Array.from(t.getAttribute('data-full') || t.textContent);
    let lo = 1, hi = Math.min(cps.length, LABEL_MAX) - 1;
    while (lo < hi) {   // the most code points that fit
      const mid = Math.ceil((lo + hi) / 2);
      t.textContent = headTail(cps, mid);
      if (t.getComputedTextLength() <= width) lo = mid; else hi = mid - 1;
    }
    t.textContent = headTail(cps, lo);
  }
}

// x-axis labels stay inside the chart, and one that would touch a
// neighbour or any other text of the chart moves down a row (as many rows
// as it takes); the chart grows to hold them.
function spreadTicks(svg) {
  const [, , w, hgt] = svg.getAttribute('viewBox').split(' ').map(Number);
  const others = [...svg.querySelectorAll('text:not(.rp-xtick)')].map(box);
  let bottom = 0;
  for (const t of svg.querySelectorAll('text.rp-xtick')) {
    let b = box(t);
    const dx = b.x1 > w - 1 ? w - 1 - b.x1 : b.x0 < 1 ? 1 - b.x0 : 0;
    if (dx) {
      t.setAttribute('x', (Number(t.getAttribute('x')) + dx).toFixed(2));
      b = box(t);
    }
    let row = 0;
    const at = (k) => ({x0: b.x0, x1: b.x1, y0: b.y0 + k * XTICK_ROW, y1: b.y1 + k * XTICK_ROW});
    while (others.some((o) => hit(o, at(row)))) row++;
    if (row) t.setAttribute('y', String(Number(t.getAttribute('y')) + row * XTICK_ROW));
    others.push(at(row));
    bottom = Math.max(bottom, at(row).y1);
  }
  if (bottom + 2 > hgt) {
    const nh = Math.ceil(bottom + 2);
    svg.setAttribute('viewBox', `0 0 ${w} ${nh}`);
    svg.setAttribute('height', String(nh));
  }
}

function settle(root) {
  for (const svg of root.querySelectorAll('svg.rp-chart')) {
    fitLabels(svg, Number(svg.getAttribute('width')) - 2);
    spreadTicks(svg);
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDay(d) {
  const m = DATE_RE.exec(d || '');
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === d ? t : null;
}

const dayText = (t) => new Date(t).toISOString().slice(0, 10);

function localToday() {
  const n = new Date();
  return Date.UTC(n.getFullYear(), n.getMonth(), n.getDate());
}

// A round step for an axis up to max with about n ticks.
function niceStep(max, n = 4) {
  const raw = Math.max(1, max / n);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function chartSvg(id, width, height, title) {
  return s('svg', {id, class: 'rp-chart', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet'},
  s('title', {}, title));
}

function csvLink(name, query, text) {
  return h('a', {class: 'button rp-csv', href: `/v1/reports/${name}.csv?${query}`,
    download: '', 'data-report': name}, text || 'CSV');
}

function card(title, id, csv, ...body) {
  return h('section', {class: 'card rp-card', id, 'aria-labelledby': `${id}-h`},
    h('div', {class: 'rp-card-head'}, h('h2', {id: `${id}-h`}, title), csv),
    ...body);
}

// ---- charts --------------------------------------------------------------

// Vertical bars at x positions, stacked by the given series.
function axisY(g, x0, x1, y0, height, max) {
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  for (let v = 0; v <= top; v += step) {
    const y = y0 - (v / top) * height;
    g.appendChild(s('line', {class: 'rp-grid', x1: x0, x2: x1, y1: y, y2: y}));
    g.appendChild(s('text', {class: 'rp-tick', x: x0 - 6, y: y + 4, 'text-anchor': 'end'}, String(v)));
  }
  return top;
}

function perDayChart(rows, from, to, width) {
  const days = [];
  for (let t = from; t <= to; t += 86400000) days.push(dayText(t));
  const counts = new Map(days.map((d) => [d, Object.fromEntries(OUTCOMES.map((o) => [o, 0]))]));
  for (const r of rows) {
    const c = counts.get(r.day);
    if (c && OUTCOMES.includes(r.outcome)) c[r.outcome]++;
  }
  const totals = days.map((d) => OUTCOMES.reduce((a, o) => a + counts.get(d)[o], 0));
  const max = Math.max(1, ...totals);
  const H = 240, L = 40, R = 8, T = 10, B = 32;
  const svg = chartSvg('chart-per-day', width, H,
    `Elevations per day, ${days[0]} to ${days[days.length - 1]}, stacked by outcome`);
  const g = s('g', {});
  svg.appendChild(g);
  const top = axisY(g, L, width - R, H - B, H - T - B, max);
  const slot = (width - L - R) / days.length;
  const bw = Math.max(1, slot * 0.8);
  const labelEvery = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor((width - L - R) / 80))));
  days.forEach((d, i) => {
    const x = L + i * slot + (slot - bw) / 2;
    let y = H - B;
    for (const o of OUTCOMES) {
      const n = counts.get(d)[o];
      if (!n) continue;
      const hgt = (n / top) * (H - T - B);
      y -= hgt;
      g.appendChild(s('rect', {class: `rp-seg rp-${o}`, x: x.toFixed(2), y: y.toFixed(2),
        width: bw.toFixed(2), height: hgt.toFixed(2), 'data-day': d, 'data-outcome': o, 'data-count': n},
      s('title', {}, `${d}: ${n} ${o}`)));
    }
    if (i % labelEvery === 0) {
      g.appendChild(s('text', {class: 'rp-tick rp-xtick', x: (L + i * slot + slot / 2).toFixed(2), y: H - B + XTICK_DY,
        'text-anchor': 'middle'}, d.slice(5)));
    }
  });
  g.appendChild(s('line', {class: 'rp-axis', x1: L, x2: width - R, y1: H - B, y2: H - B}));
  const sums = Object.fromEntries(OUTCOMES.map((o) => [o, rows.filter((r) => r.outcome === o).length]));
  const legend = h('ul', {class: 'rp-legend'},
    OUTCOMES.filter((o) => sums[o] || o !== 'pending').map((o) =>
      h('li', {}, h('span', {class: `rp-swatch rp-${o}`, 'aria-hidden': 'true'}), `${o} ${sums[o]}`)));
  return [svg, legend];
}

function quantile(sorted, q) {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// Seconds for people: tenths below a minute, else dom.js span().
const secText = (v) => (v < 60 ? `${v.toFixed(1)} s` : span(v));

function latencyChart(rows, width) {
  const secs = rows.filter((r) => typeof r.decision_latency_seconds === 'number')
    .map((r) => r.decision_latency_seconds).sort((a, b) => a - b);
  const counts = BUCKETS.map(() => 0);
  for (const v of secs) counts[BUCKETS.findIndex(([up]) => v < up)]++;
  const max = Math.max(1, ...counts);
  const H = 220, L = 40, R = 8, T = 20, B = 32;   // room above a bar for its count
  const svg = chartSvg('chart-latency', width, H,
    `Decision latency: ${secs.length} decisions in ${BUCKETS.length} ranges`);
  const g = s('g', {});
  svg.appendChild(g);
  const top = axisY(g, L, width - R, H - B, H - T - B, max);
  const slot = (width - L - R) / BUCKETS.length;
  BUCKETS.forEach(([, name], i) => {
    const n = counts[i];
    const hgt = (n / top) * (H - T - B);
    const x = L + i * slot + slot * 0.1;
    if (n) {
      g.appendChild(s('rect', {class: 'rp-bar', x: x.toFixed(2), y: (H - B - hgt).toFixed(2),
        width: (slot * 0.8).toFixed(2), height: hgt.toFixed(2), 'data-bucket': name, 'data-count': n},
      s('title', {}, `${name}: ${n} decision${n === 1 ? '' : 's'}`)));
      g.appendChild(s('text', {class: 'rp-value', x: (x + slot * 0.4).toFixed(2), y: (H - B - hgt - 4).toFixed(2),
        'text-anchor': 'middle'}, compact(n)));
    }
    g.appendChild(s('text', {class: 'rp-tick rp-xtick', x: (L + i * slot + slot / 2).toFixed(2), y: H - B + XTICK_DY,
      'text-anchor': 'middle'}, name));
  });
  g.appendChild(s('line', {class: 'rp-axis', x1: L, x2: width - R, y1: H - B, y2: H - B}));
  const summary = secs.length
    ? `${secs.length} approvals and denials · median ${secText(quantile(secs, 0.5))} · ` +
      `90th percentile ${secText(quantile(secs, 0.9))} · slowest ${secText(secs[secs.length - 1])}`
    : 'No approvals or denials in this period.';
  return [svg, h('p', {class: 'muted rp-summary'}, summary)];
}

// Horizontal bars of the TOP most frequent values of key(row).
function topChart(id, what, rows, key, width) {
  const counts = new Map();
  for (const r of rows) {
    const k = key(r) ?? '';
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))
    .slice(0, TOP);
  const ROW = 38, T = 4, R = 40;
  const H = Math.max(1, top.length) * ROW + T;
  const svg = chartSvg(id, width, H, `Top ${what}: ${top.length} of ${counts.size}`);
  const max = Math.max(1, ...top.map(([, n]) => n));
  top.forEach(([k, n], i) => {
    const y = T + i * ROW;
    const lab = label(k);
    const bw = Math.max(2, (n / max) * (width - R));
    const g = s('g', {class: 'rp-row', 'data-count': n}, s('title', {}, `${lab.full}: ${n}`));
    g.appendChild(s('text', {class: 'rp-label', x: 0, y: y + 12, 'data-full': lab.full}, lab.shown));
    g.appendChild(s('rect', {class: 'rp-bar', x: 0, y: y + 17, width: bw.toFixed(2), height: 14, rx: 2}));
    g.appendChild(s('text', {class: 'rp-value', x: (bw + 6).toFixed(2), y: y + 29}, String(n)));
    svg.appendChild(g);
  });
  if (!top.length) svg.appendChild(s('text', {class: 'rp-tick', x: 0, y: 20}, 'none'));
  return svg;
}

// ---- the page ------------------------------------------------------------

function period() {
  const q = new URLSearchParams(location.search);
  const today = localToday();
  let to = parseDay(q.get('to'));
  let from = parseDay(q.get('from'));
  let error = null;
  if ((q.get('to') && to === null) || (q.get('from') && from === null)) error = 'Dates must be YYYY-MM-DD.';
  if (to === null) to = today;
  if (from === null) from = to - (DEFAULT_DAYS - 1) * 86400000;
  if (!error && from > to) error = 'The first day is after the last day.';
  if (!error && (to - from) / 86400000 + 1 > MAX_DAYS) error = `Choose at most ${MAX_DAYS} days.`;
  return {from, to, error};
}

export function mount(main, {go}) {
  const p = period();
  const fromIn = h('input', {id: 'r-from', name: 'from', type: 'date', value: dayText(p.from), required: true});
  const toIn = h('input', {id: 'r-to', name: 'to', type: 'date', value: dayText(p.to), required: true});
  const form = h('form', {class: 'filters card rp-period', 'aria-label': 'Report period'},
    h('div', {class: 'f'}, h('label', {for: 'r-from'}, 'First day'), fromIn),
    h('div', {class: 'f'}, h('label', {for: 'r-to'}, 'Last day'), toIn),
    h('div', {class: 'f f-buttons'}, h('button', {type: 'submit', class: 'primary'}, 'Show')));
  const status = h('div', {class: 'list-status', 'aria-live': 'polite'});
  const charts = h('div', {class: 'rp-charts'});
  const all = h('div', {});
  main.appendChild(h('section', {class: 'page rp-page'},
    h('div', {class: 'page-head'}, h('h1', {}, 'Reports'),
      h('p', {class: 'muted'}, 'Elevations in a period of days (report time zone), with CSV exports for auditors.')),
    form, status, charts, all));
  document.title = 'Reports · approvald';

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({from: fromIn.value, to: toIn.value});
    go(`/ui/reports?${q}`);
  });

  let alive = true;
  const query = new URLSearchParams({from: dayText(p.from), to: dayText(p.to)}).toString();

  async function load() {
    if (p.error) {
      clear(status).appendChild(errorBox(p.error));
      return;
    }
    status.appendChild(h('p', {class: 'loading'}, 'Loading…'));
    try {
      const r = await api.report('elevations', {from: dayText(p.from), to: dayText(p.to)});
      if (!alive) return;
      const rows = Array.isArray(r.rows) ? r.rows : [];
      clear(status);
      status.appendChild(h('p', {class: 'rp-total'},
        `${rows.length} elevation${rows.length === 1 ? '' : 's'} from ${dayText(p.from)} to ${dayText(p.to)}.`));
      const width = Math.max(300, Math.min(1000, charts.clientWidth - 40));
      charts.appendChild(card('Elevations per day', 'rp-per-day', csvLink('elevations', query),
        ...perDayChart(rows, p.from, p.to, width)));
      charts.appendChild(card('Decision latency', 'rp-latency', csvLink('decision_latency', query),
        ...latencyChart(rows, width)));
      const half = charts.clientWidth >= 760 ? Math.floor((width - 24) / 2) : width;
      charts.appendChild(h('div', {class: 'rp-pair'},
        card('Top requesters', 'rp-requesters', csvLink('elevations', query),
          topChart('chart-requesters', 'requesters', rows, (x) => x.requester, half)),
        card('Top hosts', 'rp-hosts', csvLink('elevations', query),
          topChart('chart-hosts', 'hosts', rows, (x) => x.host, half))));
      charts.appendChild(card('Top commands', 'rp-commands', csvLink('elevations', query),
        topChart('chart-commands', 'commands', rows, (x) => x.sudo_command || x.command, width)));
      settle(charts);
    } catch (e) {
      if (!alive || e.status === 401) return;
      clear(status).appendChild(errorBox(e.message));
    }
  }

  async function loadCatalogue() {
    try {
      const r = await api.reports();
      if (!alive) return;
      const list = Array.isArray(r.reports) ? r.reports : [];
      all.appendChild(card('All reports', 'rp-all', null,
        h('p', {class: 'muted'}, 'Every report for the period above as CSV (docs/compliance.md maps them to ISO 27001 and SOC 2 controls).'),
        h('ul', {class: 'rp-list'}, list.map((x) => h('li', {},
          csvLink(encodeURIComponent(String(x.name)), query, String(x.name)),
          h('span', {class: 'muted'}, visible(x.description || '')))))));
    } catch (e) {
      if (!alive || e.status === 401) return;
      all.appendChild(errorBox(e.message));
    }
  }

  load().then(() => { if (!p.error) loadCatalogue(); });
  return () => { alive = false; };
}

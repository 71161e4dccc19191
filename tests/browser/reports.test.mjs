// reports.test.mjs: the reports page (/ui/reports) in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core) against the real
// approvald and PostgreSQL that reports.sh started and filled through the
// module and the API. Run by reports.sh only (it exports the environment).
// Cases: an auditor signs in and opens Reports from the navigation; the
// SVG charts show the history (per day by outcome, latency, top requesters,
// hosts, commands), a command holding HTML is text in the SVG; the CSV
// links download the period's report (formula neutralised); another period
// is empty; no two chart labels intersect or leave their chart at 1280 and
// 390 px, with a 200-character host name and requester, a 300-character
// command and one of wide characters (fitted head … tail); nothing is
// loaded from anywhere but approvald; at 390 px Reports and History are
// exactly as wide as the viewport. Screenshots: reports.png,
// reports-labels-1280.png, reports-labels-390.png, reports-history-390.png.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {envOf, launchWatched} from './common.mjs';

const env = envOf('reports.sh');
const URL0 = env('APPROVALD_URL');
const SHOTS = env('SCREENSHOT_DIR');
const EXPECT = JSON.parse(env('REPORT_EXPECT'));   // {outcome: count}
const DAY = env('REPORT_DAY');
const TOTAL = Object.values(EXPECT).reduce((a, b) => a + b, 0);

let browser;
let page;
const errors = [];
const foreign = [];

before(async () => {
  browser = await launchWatched(errors, {acceptDownloads: true});
  page = browser.page;
  // the who-am-I call before sign-in answers 401 by design
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('request', (r) => { if (!r.url().startsWith(URL0) && !r.url().startsWith('data:')) foreign.push(r.url()); });
});

after(async () => {
  if (browser) await browser.close();
});

// Sum of data-count over the elements matching sel.
const sumCounts = (sel) => page.locator(sel).evaluateAll(
  (els) => els.reduce((a, e) => a + Number(e.getAttribute('data-count')), 0));

// The rows of a top chart as {label: count}, by the whole label (the row's
// tooltip, "LABEL: COUNT"; the text shown may be fitted to the width).
const topRows = (id) => page.locator(`#${id} g.rp-row`).evaluateAll((gs) => Object.fromEntries(
  gs.map((g) => {
    const n = g.getAttribute('data-count');
    return [g.querySelector('title').textContent.slice(0, -(n.length + 2)), Number(n)];
  })));
const LONG_HOST = env('LONG_HOST');
const LONG_USER = env('LONG_USER');
const LONG_CMD = env('LONG_CMD');

// No two labels (every <text>) of any chart intersect and none sticks out
// of its chart: screen boxes, as drawn at this width. Returns how many
// labels were checked.
async function labelsApart(what) {
  const res = await page.evaluate(() => {
    const bad = [];
    let n = 0;
    const cut = (t) => JSON.stringify(t.length > 30 ? `${t.slice(0, 30)}…` : t);
    for (const svg of document.querySelectorAll('svg.rp-chart')) {
      const c = svg.getBoundingClientRect();
      const ts = [...svg.querySelectorAll('text')].map((t) => ({t: t.textContent, r: t.getBoundingClientRect()}));
      n += ts.length;
      for (const a of ts) {
        if (a.r.left < c.left - 0.5 || a.r.right > c.right + 0.5 || a.r.top < c.top - 0.5 || a.r.bottom > c.bottom + 0.5) {
          bad.push(`${svg.id}: ${cut(a.t)} outside the chart`);
        }
      }
      for (let i = 0; i < ts.length; i++) {
        for (let j = i + 1; j < ts.length; j++) {
          const a = ts[i].r, b = ts[j].r;
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
            bad.push(`${svg.id}: ${cut(ts[i].t)} overlaps ${cut(ts[j].t)}`);
          }
        }
      }
    }
    return {bad, n};
  });
  assert.deepEqual(res.bad, [], `${what}: chart labels overlap`);
  assert.ok(res.n > 40, `${what}: ${res.n} labels checked`);
  return res.n;
}

async function widthHolds(what) {
  const [doc, vw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.equal(doc, vw, `${what}: document width ${doc} px, viewport ${vw} px`);
}

async function download(link) {
  const [dl] = await Promise.all([page.waitForEvent('download', {timeout: 10000}), link.click()]);
  const path = join(env('BROWSER_TMP'), `dl-${Date.now()}.csv`);
  await dl.saveAs(path);
  return {name: dl.suggestedFilename(), text: readFileSync(path, 'utf8')};
}

test('an auditor signs in and opens Reports', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('#login').fill('audrey');
  await page.locator('#password').fill(env('AUDREY_PASSWORD'));
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor({timeout: 10000});
  await page.locator('#nav a', {hasText: 'Reports'}).click();
  await page.locator('h1', {hasText: 'Reports'}).waitFor();
  assert.match(page.url(), /\/ui\/reports$/);
  assert.equal(await page.locator('#nav a[aria-current="page"]').textContent(), 'Reports');
  await page.locator('#chart-per-day').waitFor({timeout: 10000});
});

test('the charts show the history', async () => {
  assert.equal(await page.locator('.rp-total').textContent(),
    `${TOTAL} elevations from ${await page.locator('#r-from').inputValue()} to ${await page.locator('#r-to').inputValue()}.`);
  // per day, stacked by outcome: every outcome's total on its day
  for (const [o, n] of Object.entries(EXPECT)) {
    assert.equal(await sumCounts(`#chart-per-day rect.rp-${o}[data-day="${DAY}"]`), n, `${o} on ${DAY}`);
  }
  assert.equal(await sumCounts('#chart-per-day rect.rp-seg'), TOTAL);
  const legend = await page.locator('#rp-per-day .rp-legend').textContent();
  for (const [o, n] of Object.entries(EXPECT)) assert.ok(legend.includes(`${o} ${n}`), `legend: ${legend}`);
  // latency: one entry per approval or denial
  assert.equal(await sumCounts('#chart-latency rect.rp-bar'), (EXPECT.approved || 0) + (EXPECT.denied || 0));
  assert.match(await page.locator('#rp-latency .rp-summary').textContent(), /approvals and denials · median \d+\.\d s · 90th percentile \d+\.\d s/);
  // top lists: module requests come from root (pamdrive runs as root)
  const req = await topRows('chart-requesters');
  assert.deepEqual(req, {root: 4, dave: 3, erin: 3, frank: 1, [LONG_USER]: 2});
  const hosts = await topRows('chart-hosts');
  assert.deepEqual(hosts, {web1: 7, db2: 4, [LONG_HOST]: 2});
  const cmds = await topRows('chart-commands');
  assert.equal(cmds['/usr/bin/systemctl restart nginx'], 2);
  assert.equal(cmds['/usr/bin/psql -c VACUUM'], 2);
  assert.equal(cmds['=1+2'], 1);
  assert.equal(cmds[LONG_CMD], 1);
  // HTML in a command is text inside the SVG, never markup
  assert.equal(cmds['<img src=x onerror="window.__pwned=1">'], 1);
  assert.equal(await page.locator('main img, main script, main foreignObject').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');
  // each chart is an SVG image with a name, and has a CSV link
  for (const id of ['chart-per-day', 'chart-latency', 'chart-requesters', 'chart-hosts', 'chart-commands']) {
    const svg = page.locator(`svg#${id}`);
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.ok((await svg.getAttribute('aria-label')).length > 10);
  }
  // a CSV link per chart, and one per report of the catalogue (common/report.c)
  const catalogue = await page.evaluate(async () => (await (await fetch('/v1/reports')).json()).reports.length);
  assert.ok(catalogue >= 11, `${catalogue} reports`);
  assert.equal(await page.locator('.rp-card a.rp-csv').count(), 5 + catalogue);
  await page.locator('#rp-all').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({path: join(SHOTS, 'reports.png'), fullPage: true});
});

test('chart labels never overlap, long ones fitted with their tail: 1280 px and 390 px', async () => {
  for (const [w, hgt] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({width: w, height: hgt});
    await page.goto(`${URL0}/ui/reports`);
    await page.locator('#chart-commands g.rp-row').first().waitFor({timeout: 10000});
    const n = await labelsApart(`Reports at ${w} px`);
    console.log(`# ${w} px: ${n} labels apart`);
    // the 200-character host name is shown fitted, head … tail, whole in its tooltip
    const row = page.locator('#chart-hosts g.rp-row', {has: page.locator('title', {hasText: LONG_HOST})});
    const shown = await row.locator('text.rp-label').textContent();
    assert.ok(shown.length < LONG_HOST.length && shown.includes('…'), `fitted: ${shown}`);
    assert.ok(shown.startsWith('hhh') && shown.endsWith('long.test'), `head and tail: ${shown}`);
    await widthHolds(`Reports at ${w} px`);
    await page.screenshot({path: join(SHOTS, `reports-labels-${w}.png`), fullPage: true});
  }
  await page.setViewportSize({width: 1200, height: 900});
});

test('the CSV links download the period\'s reports', async () => {
  const from = await page.locator('#r-from').inputValue();
  const to = await page.locator('#r-to').inputValue();
  const el = await download(page.locator('#rp-per-day a.rp-csv'));
  assert.equal(el.name, `report_elevations_${from}_${to}.csv`);
  const lines = el.text.split('\r\n');
  assert.match(lines[0], /^day,created_at,decided_at,expires_at,request_id,code,host,/);
  assert.equal(lines.length, TOTAL + 2, 'header, one record per elevation, final CRLF');
  assert.equal(lines[lines.length - 1], '');
  assert.ok(el.text.includes(",'=1+2,"), 'formula neutralised');
  assert.ok(el.text.includes('"<img src=x onerror=""window.__pwned=1"">"'), 'quotes doubled');
  const lat = await download(page.locator('#rp-latency a.rp-csv'));
  assert.equal(lat.name, `report_decision_latency_${from}_${to}.csv`);
  assert.match(lat.text, /^day,approver,decisions,approved,denied,p50_seconds,p90_seconds,max_seconds\r\n/);
  assert.ok(lat.text.includes(',carol,'));
  const denied = await download(page.locator('#rp-all a.rp-csv[data-report="denied"]'));
  assert.equal(denied.text.split('\r\n').length, (EXPECT.denied || 0) + 2);
  assert.equal(page.url().endsWith('/ui/reports'), true, 'still on the page');
});

test('another period: empty charts; a bad period is explained', async () => {
  await page.locator('#r-from').fill('2001-01-01');
  await page.locator('#r-to').fill('2001-01-31');
  await page.getByRole('button', {name: 'Show'}).click();
  await page.waitForURL(/\/ui\/reports\?from=2001-01-01&to=2001-01-31$/);
  await page.locator('.rp-total', {hasText: '0 elevations from 2001-01-01 to 2001-01-31.'}).waitFor();
  assert.equal(await page.locator('#chart-per-day rect.rp-seg').count(), 0);
  assert.equal(await page.locator('#chart-requesters g.rp-row').count(), 0);
  assert.equal(await page.locator('#rp-per-day a.rp-csv').getAttribute('href'),
    '/v1/reports/elevations.csv?from=2001-01-01&to=2001-01-31');
  await page.goto(`${URL0}/ui/reports?from=2001-02-01&to=2001-01-01`);
  await page.locator('.error', {hasText: 'The first day is after the last day.'}).waitFor();
  await page.goto(`${URL0}/ui/reports?from=2001-02-30`);
  await page.locator('.error', {hasText: 'Dates must be YYYY-MM-DD.'}).waitFor();
});

test('on a phone Reports and History fit the viewport (document width == viewport width)', async () => {
  await page.setViewportSize({width: 390, height: 844});
  await page.goto(`${URL0}/ui/reports`);
  await page.locator('#chart-commands g.rp-row').first().waitFor({timeout: 10000});
  await widthHolds('Reports at 390 px');
  await page.goto(`${URL0}/ui/history`);
  await page.locator('#history-list li', {hasText: 'x'.repeat(100)}).first().waitFor({timeout: 10000});
  await widthHolds('History at 390 px (200-character host and requester)');
  await page.screenshot({path: join(SHOTS, 'reports-history-390.png'), fullPage: false});
  await page.setViewportSize({width: 1200, height: 900});
});

test('nothing came from outside approvald and no script failed', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});

// reports.test.mjs: the reports page (/ui/reports) in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core) against the real
// approvald and PostgreSQL that reports.sh started and filled through the
// module and the API. Run by reports.sh only (it exports the environment).
// Cases: an auditor signs in and opens Reports from the navigation; the
// SVG charts show the history (per day by outcome, latency, top requesters,
// hosts, commands), a command holding HTML is text in the SVG; the CSV
// links download the period's report (formula neutralised); another period
// is empty; nothing is loaded from anywhere but approvald; a phone-sized
// window does not scroll sideways. Screenshot: reports.png.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {launch} from './launch.mjs';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run tests/browser/reports.sh`);
  return v;
};
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
  browser = await launch({acceptDownloads: true});
  page = browser.page;
  page.on('pageerror', (e) => { errors.push(e.message); console.error('# page error:', e.message); });
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

// The rows of a top chart as {label: count}.
const topRows = (id) => page.locator(`#${id} g.rp-row`).evaluateAll((gs) => Object.fromEntries(
  gs.map((g) => [g.querySelector('text.rp-label').textContent, Number(g.getAttribute('data-count'))])));

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
  assert.deepEqual(req, {root: 4, dave: 3, erin: 3, frank: 1});
  const hosts = await topRows('chart-hosts');
  assert.deepEqual(hosts, {web1: 7, db2: 4});
  const cmds = await topRows('chart-commands');
  assert.equal(cmds['/usr/bin/systemctl restart nginx'], 2);
  assert.equal(cmds['/usr/bin/psql -c VACUUM'], 2);
  assert.equal(cmds['=1+2'], 1);
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
  assert.equal(await page.locator('.rp-card a.rp-csv').count(), 5 + 12, 'a CSV link per chart and per report (the twelve reports of common/report.c)');
  await page.locator('#rp-all').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({path: join(SHOTS, 'reports.png'), fullPage: true});
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

test('on a phone the page does not scroll sideways', async () => {
  await page.setViewportSize({width: 390, height: 844});
  await page.goto(`${URL0}/ui/reports`);
  await page.locator('#chart-commands').waitFor({timeout: 10000});
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  await page.setViewportSize({width: 1200, height: 900});
});

test('nothing came from outside approvald and no script failed', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});

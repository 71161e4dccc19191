// breakglass.test.mjs: the Break-glass review page (/ui/breakglass) in
// headless Chromium against the approvald and PostgreSQL that
// breakglass.sh started (it made one item of each kind, exports the
// environment and checks the database after). Cases: the requester sees
// both items without a control and the API refuses them; another approver
// reaches the page by the nav link, an empty comment is refused in the
// page, each item is closed with a comment and leaves the open list,
// "Show closed" lists both closed by them; hostile text stays text;
// axe-core with items open and closed; a reload shows the server's state.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {envOf, launchWatched, signIn as signInAt, axeClean} from './common.mjs';

const env = envOf('breakglass.sh');
const URL0 = env('APPROVALD_URL');
const SHOTS = env('SCREENSHOT_DIR');
const RULE = `#bg-rule-${env('RULE_ID')}`;
const OFF = `#bg-offline-${env('BG_ID')}`;

let browser;
let page;
const errors = [];

before(async () => {
  browser = await launchWatched(errors, {viewport: {width: 1280, height: 900}, dialogs: true});
  page = browser.page;
});

after(async () => {
  if (browser) await browser.close();
});

const signIn = (login, password) => signInAt(page, URL0, login, password);
const axe = (name) => axeClean(page, name);

test('the requester sees their break-glass without a control; the API refuses them', async () => {
  await signIn('erin', env('ERIN_PASSWORD'));
  await page.goto(`${URL0}/ui/breakglass`);
  await page.locator(OFF).waitFor({timeout: 15000});
  await page.locator(RULE).waitFor({timeout: 15000});
  for (const sel of [RULE, OFF]) {
    assert.match(await page.locator(`${sel} .self-note`).textContent(), /your own break-glass/);
    assert.equal(await page.locator(`${sel} button, ${sel} textarea`).count(), 0, `${sel}: no control for the requester`);
  }
  const res = await fetch(`${URL0}/v1/breakglass/uses/${env('BG_ID')}/review`, {method: 'POST',
    headers: {Authorization: `Bearer ${env('ERIN_TOKEN')}`, 'Content-Type': 'application/json'},
    body: JSON.stringify({comment: 'all fine, trust me'})});
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error, 'self_approval');
  await page.context().clearCookies();
});

test('another approver closes both kinds from the Break-glass page', async () => {
  await signIn('carol', env('CAROL_PASSWORD'));
  // on any page the nav says how many need review
  await page.locator('#breakglass-count:not([hidden])').waitFor({timeout: 10000});
  assert.equal(await page.locator('#breakglass-count').textContent(), '2', 'the nav count on the pending page');
  await page.locator('#nav a[data-page="breakglass"]').click();
  await page.locator(OFF).waitFor({timeout: 15000});
  assert.equal(new URL(page.url()).pathname, '/ui/breakglass');
  assert.equal(await page.locator('#nav a[data-page="breakglass"]').getAttribute('aria-current'), 'page');
  assert.equal(await page.title(), 'Break-glass · approvald');
  assert.match(await page.locator('#bg-open-h').textContent(), /Needs review \(2\)/);
  assert.equal(await page.locator('#breakglass-count').textContent(), '2', 'the nav count');
  assert.equal(await page.locator('#bg-open .bg-item').count(), 2, 'both kinds open');
  const rule = await page.locator(RULE).textContent();
  assert.match(rule, /Breakglass rule: erin became root on web1/);
  assert.match(rule, /primary down, pager silent/);
  assert.match(rule, new RegExp(env('RULE_CODE')));
  const off = await page.locator(OFF).textContent();
  assert.match(off, /Offline code: erin became root on web1/);
  assert.ok(off.includes(env('BG_ID')), 'the code id is shown');
  assert.ok(off.includes(env('HOSTILE')), 'the hostile command is shown as text');
  assert.equal(await page.locator('#main img').count(), 0, 'no element was made from the command');
  assert.doesNotMatch(await page.locator('#bg-body').textContent(), /\b(null|undefined)\b/, 'no placeholder text');
  await axe('break-glass page, items open');
  await page.screenshot({path: join(SHOTS, 'breakglass-open.png'), fullPage: true});

  // an empty comment is refused in the page, nothing is sent
  await page.locator(`${OFF} .mark-reviewed`).click();
  await page.locator(`${OFF} .review-msg`).waitFor({state: 'visible', timeout: 5000});
  assert.match(await page.locator(`${OFF} .review-msg`).textContent(), /Write what you checked/);
  assert.equal(await page.locator('#bg-open .bg-item').count(), 2, 'still open');

  await page.locator(`${OFF} textarea`).fill('db outage, code use confirmed with erin');
  await page.locator(`${OFF} .mark-reviewed`).click();
  await page.locator(`#bg-open ${OFF}`).waitFor({state: 'detached', timeout: 10000});
  assert.match(await page.locator('#bg-open-h').textContent(), /Needs review \(1\)/);
  assert.match(await page.locator('#bg-live').textContent(), /marked reviewed/);

  await page.locator(`${RULE} textarea`).fill('checked the failover log');
  await page.locator(`${RULE} .mark-reviewed`).click();
  await page.locator(`#bg-open ${RULE}`).waitFor({state: 'detached', timeout: 10000});
  assert.match(await page.locator('#bg-open-h').textContent(), /Needs review \(0\)/);
  assert.match(await page.locator('#bg-open').textContent(), /Nothing needs review/);
  assert.equal(await page.locator('#breakglass-count').isHidden(), true, 'no nav count with nothing open');

  await page.locator('#bg-show-closed').click();
  await page.locator(`#bg-closed ${OFF}`).waitFor({timeout: 10000});
  assert.equal(await page.locator('#bg-show-closed').getAttribute('aria-expanded'), 'true');
  assert.equal(await page.locator('#bg-closed .bg-item').count(), 2, 'both closed');
  assert.match(await page.locator(`#bg-closed ${OFF} .bg-state`).textContent(), /Reviewed by carol/);
  assert.equal(await page.locator(`#bg-closed ${OFF} blockquote`).textContent(), 'db outage, code use confirmed with erin');
  assert.match(await page.locator(`#bg-closed ${RULE} .bg-state`).textContent(), /Reviewed by carol/);
  assert.equal(await page.locator(`#bg-closed ${RULE} blockquote`).textContent(), 'checked the failover log');
  assert.equal(await page.locator('#bg-closed button, #bg-closed textarea').count(), 0, 'no control once closed');
  await axe('break-glass page, items closed');
  await page.screenshot({path: join(SHOTS, 'breakglass-closed.png'), fullPage: true});

  // a reload shows the server's state
  await page.goto(`${URL0}/ui/breakglass`);
  await page.locator('#bg-open-h').waitFor({timeout: 15000});
  assert.match(await page.locator('#bg-open-h').textContent(), /Needs review \(0\)/);
  assert.equal(await page.locator('#bg-open .bg-item').count(), 0);
  assert.deepEqual(errors, [], 'no page errors');
});

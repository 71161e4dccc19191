// review.test.mjs: "Mark reviewed" on a break-glass request's page, in
// headless Chromium against the approvald and PostgreSQL that review.sh
// started (it exports the environment and checks the database after).
// Cases: the requester sees the control disabled and the API refuses
// them; another approver's empty comment is refused in the page; with a
// comment the review closes and the page says by whom; a request that
// was not break-glass has no review card; axe-core on the page.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {envOf, launchWatched, signIn as signInAt, axeClean} from './common.mjs';

const env = envOf('review.sh');
const URL0 = env('APPROVALD_URL');
const SHOTS = env('SCREENSHOT_DIR');

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

const signIn = (login, password) => signInAt(page, URL0, login, password);

async function signOut() {
  await page.context().clearCookies();
}

async function openRequest(id) {
  await page.goto(`${URL0}/ui/requests/${id}`);
  await page.locator('#cmd').waitFor({timeout: 15000});
}

const axe = (name) => axeClean(page, name);

test('the requester sees the review disabled; the API refuses them', async () => {
  await signIn('erin', env('ERIN_PASSWORD'));
  await openRequest(env('BG_ID'));
  await page.locator('#review').waitFor({timeout: 10000});
  assert.match(await page.locator('#review-state').textContent(), /Needs review/);
  assert.equal(await page.locator('#mark-reviewed').isDisabled(), true, 'Mark reviewed is disabled for the requester');
  const res = await fetch(`${URL0}/v1/requests/${env('BG_ID')}/review`, {method: 'POST',
    headers: {Authorization: `Bearer ${env('ERIN_TOKEN')}`, 'Content-Type': 'application/json'},
    body: JSON.stringify({comment: 'all fine, trust me'})});
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error, 'self_approval');
  await signOut();
});

test('another approver marks it reviewed with a comment', async () => {
  await signIn('carol', env('CAROL_PASSWORD'));
  await openRequest(env('BG_ID'));
  await page.locator('#mark-reviewed').waitFor({timeout: 10000});
  assert.equal(await page.locator('#mark-reviewed').isDisabled(), false);
  await axe('break-glass request page');
  await page.screenshot({path: join(SHOTS, 'review-needs.png'), fullPage: true});
  await page.locator('#mark-reviewed').click();
  await page.locator('#review-msg').waitFor({state: 'visible', timeout: 5000});
  assert.match(await page.locator('#review-msg').textContent(), /Write what you checked/);
  assert.match(await page.locator('#review-state').textContent(), /Needs review/, 'nothing was sent');
  await page.locator('#review-comment').fill('checked the failover log');
  await page.locator('#mark-reviewed').click();
  await page.locator('#review.closed').waitFor({timeout: 10000});
  assert.match(await page.locator('#review-state').textContent(), /Reviewed by carol/);
  assert.equal(await page.locator('#review blockquote').textContent(), 'checked the failover log');
  await page.screenshot({path: join(SHOTS, 'review-closed.png'), fullPage: true});
  // a reload shows the same: it is the server's state
  await openRequest(env('BG_ID'));
  await page.locator('#review.closed').waitFor({timeout: 10000});
  assert.equal(await page.locator('#mark-reviewed').count(), 0, 'no control once closed');
});

test('a request that was not break-glass has no review card', async () => {
  await openRequest(env('PLAIN_ID'));
  await page.locator('#decide').waitFor({timeout: 10000});
  assert.equal(await page.locator('#review').count(), 0);
  assert.deepEqual(errors, [], 'no page errors');
});

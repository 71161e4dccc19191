// policy.test.mjs: the read-only Policy page in headless Chromium against
// the approvald and PostgreSQL that policy.sh started (it applied the
// policy and checks the database after). Cases: the nav link leads to the
// page; it shows the version, the rules in order with their stored text,
// the default, the groups and host groups; nothing on it writes; axe-core.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {envOf, launchWatched, signIn, axeClean} from './common.mjs';

const env = envOf('policy.sh');
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

test('the Policy page shows the policy as it decides, read-only', async () => {
  await signIn(page, URL0, 'carol', env('CAROL_PASSWORD'));
  await page.locator('#nav a[data-page="policy"]').click();
  await page.locator('#rules').waitFor({timeout: 15000});
  assert.equal(new URL(page.url()).pathname, '/ui/policy');
  assert.equal(await page.locator('#nav a[data-page="policy"]').getAttribute('aria-current'), 'page');
  assert.match(await page.locator('#policy-version').textContent(), new RegExp(`Policy version ${env('POLICY_VERSION')}\\b`));
  const rows = await page.locator('#rules tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
  assert.deepEqual(rows, [
    ['1', 'allow command-prefix="/usr/bin/systemctl status "'],
    ['2', 'deny host=@db command-prefix="/bin/rm " message="ask the DBAs"'],
    ['3', 'require approvals=2 groups=dba host=@db ticket=required pattern=^OPS-[0-9]+$'],
  ], 'the rules in the order they are tried, as stored');
  assert.equal(await page.locator('#policy-default code').textContent(), 'require approvals=1');
  assert.equal(await page.locator('#approver-groups dt').textContent(), 'dba');
  assert.equal(await page.locator('#approver-groups dd').textContent(), 'dba1, dba2');
  assert.equal(await page.locator('#host-groups dt').textContent(), 'db');
  assert.equal(await page.locator('#host-groups dd').textContent(), 'db-1, db-2');
  assert.equal(await page.locator('#main form, #main button, #main input, #main textarea, #main select').count(), 0,
    'nothing on the page writes');
  assert.equal(await page.title(), 'Policy · approvald');
  await axeClean(page, 'policy page');
  await page.screenshot({path: join(SHOTS, 'policy.png'), fullPage: true});
  // a reload of the page's own URL shows it again
  await page.goto(`${URL0}/ui/policy`);
  await page.locator('#rules').waitFor({timeout: 15000});
  assert.deepEqual(errors, [], 'no page errors');
});

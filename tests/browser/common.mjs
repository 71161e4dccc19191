// common.mjs: what a browser test file needs besides its cases: its
// environment (set by its .sh runner), a browser whose page errors are
// collected, signing in through the page, and an axe-core run that must
// find no violation.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {launch} from './launch.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// env(runner)(NAME): the variable, or an error naming the runner.
export function envOf(runner) {
  return (k) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run tests/browser/${runner}`);
    return v;
  };
}

// launch.mjs's browser (options passed on) whose page pushes every page
// error, and with dialogs every dialog (dismissed), to errors.
export async function launchWatched(errors, {dialogs = false, ...options} = {}) {
  const browser = await launch(options);
  browser.page.on('pageerror', (e) => { errors.push(e.message); console.error('# page error:', e.message); });
  if (dialogs) browser.page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
  return browser;
}

// Sign in on the page's form at url; the pending list is the proof.
export async function signIn(page, url, login, password) {
  await page.goto(`${url}/ui/`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.locator('h1', {hasText: 'Pending requests'}).waitFor({timeout: 15000});
}

// axe-core over the whole document: no violation (each listed by rule,
// impact and the first nodes).
export async function axeClean(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const res = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
  const v = res.violations.map((x) => `${x.id} (${x.impact}): ${x.help} at ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(v, [], `${name}: axe violations`);
}

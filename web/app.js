// app.js: boot and routing of the approver UI (one HTML shell, pages
// rendered by modules). Paths: /ui/ pending, /ui/requests/<uuid|code>
// detail (where /r/CODE redirects), /ui/history, /ui/reports, /ui/policy,
// /ui/breakglass, /ui/login. Without a
// session every path shows the sign-in form and returns to the same path.

import {api, session, ApiError} from './api.js';
import {h, clear, startTicker, errorBox, retryBox, transient} from './dom.js';
import * as events from './events.js';
import * as badge from './badge.js';
import * as login from './login.js';
import * as pending from './pending.js';
import * as detail from './detail.js';
import * as historyPage from './history.js';
import * as reports from './reports.js';
import * as policyPage from './policy.js';
import * as breakglassPage from './breakglass.js';

const main = document.getElementById('main');
let unmount = null;

function route(path) {
  if (path === '/ui' || path === '/ui/' || path === '/') return {page: pending, name: 'pending'};
  if (path === '/ui/history') return {page: historyPage, name: 'history'};
  if (path === '/ui/reports') return {page: reports, name: 'reports'};
  if (path === '/ui/policy') return {page: policyPage, name: 'policy'};
  if (path === '/ui/breakglass') return {page: breakglassPage, name: 'breakglass'};
  const m = /^\/ui\/requests\/([0-9A-Za-z-]{7,36})$/.exec(path);
  if (m) return {page: detail, name: 'detail', arg: m[1]};
  return null;
}

// Only our own pages are valid targets after sign-in (no open redirect).
function safeNext(s) {
  return typeof s === 'string' && /^\/ui(\/[A-Za-z0-9\/_-]*)?(\?[A-Za-z0-9=&%._:+-]*)?$/.test(s) ? s : '/ui/';
}

export function go(url, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function setNav(name) {
  for (const a of document.querySelectorAll('#nav a[data-page]')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  const name = document.getElementById('who-name');
  name.textContent = signedIn ? (session.me.display_name || session.me.login) : '';
  name.title = signedIn ? `signed in as ${session.me.login}` : '';
}

function render() {
  if (unmount) { try { unmount(); } catch (e) { /* page already gone */ } unmount = null; }
  clear(main);
  const path = location.pathname;
  if (!session.me) {
    showChrome(false);
    document.title = 'Sign in · approvald';
    const next = path === '/ui/login'
      ? safeNext(new URLSearchParams(location.search).get('next'))
      : safeNext(path + location.search);
    unmount = login.mount(main, {next, onSignedIn: () => signedIn(next)});
    return;
  }
  showChrome(true);
  if (path === '/ui/login') { go(safeNext(new URLSearchParams(location.search).get('next')), {replace: true}); return; }
  const r = route(path);
  setNav(r ? r.name : null);
  if (!r) {
    document.title = 'Not found · approvald';
    main.appendChild(h('section', {class: 'page', id: 'not-found'}, h('h1', {}, 'Not found'),
      h('p', {}, /^\/r\//.test(path) ? 'There is no request with this code.' : 'There is no such page.'),
      h('p', {}, h('a', {href: '/ui/', 'data-nav': true}, 'Back to pending requests'))));
    return;
  }
  unmount = r.page.mount(main, {arg: r.arg, go});
}

// The app's one event loop and the nav count that follows it, for as long
// as the session lasts (every page shares them; pages only subscribe).
function startLive() {
  badge.start(events.start(document.getElementById('live')));
}

function stopLive() {
  events.stop();
  badge.stop();
}

async function signedIn(next) {
  showChrome(true);
  startLive();
  go(next, {replace: true});
  main.focus({preventScroll: true});
}

function onSignedOut() {
  stopLive();
  render();
}

// Sign-out in one tab ends the others at once (the cookie is gone for all
// of them; without this they would learn it at their next request).
const tabs = 'BroadcastChannel' in window ? new BroadcastChannel('approvald-session') : null;
if (tabs) {
  tabs.onmessage = (ev) => {
    if (ev.data && ev.data.kind === 'signed-out' && session.me) {
      session.me = null;
      onSignedOut();
    }
  };
}

async function boot() {
  session.onSignedOut = onSignedOut;
  startTicker();
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const raw = a.getAttribute('href');
    if (raw.startsWith('#')) {
      // in-page target (the skip link): move focus there, render nothing
      const target = document.getElementById(raw.slice(1));
      if (target) {
        ev.preventDefault();
        target.focus();
      }
      return;
    }
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/ui')) return;
    ev.preventDefault();
    go(url.pathname + url.search);
  });
  window.addEventListener('popstate', render);
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api.signOut(); } catch (e) { /* the cookie is cleared or already void */ }
    session.me = null;
    if (tabs) tabs.postMessage({kind: 'signed-out'});
    stopLive();
    go('/ui/login');
  });
  await whoami();
}

// Who is signed in; while the server cannot answer (down, 5xx) the page
// says so and asks again by itself after a visible countdown.
async function whoami() {
  try {
    session.me = await api.whoami();
  } catch (e) {
    session.me = null;
    if (e instanceof ApiError && e.status === 401 && e.body && e.body.sso === true) {
      try { session.me = await api.signInSso(); } catch (e2) { session.me = null; }
    } else if (!(e instanceof ApiError && e.status === 401)) {
      document.title = 'Unavailable · approvald';
      clear(main).appendChild(h('section', {class: 'page', id: 'unavailable'},
        h('h1', {}, 'approvald is not answering'),
        transient(e) ? retryBox(e.message, () => whoami()) : errorBox(e.message)));
      return;
    }
  }
  if (session.me) startLive();
  render();
}

boot();

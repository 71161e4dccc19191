// breakglass.js: the break-glass review list (GET /v1/breakglass,
// docs/api.md "Break-glass"): both kinds in one list, a request a
// breakglass rule let in on its reason and an offline code's use its host
// reported. Each open item has "Mark reviewed" with a required comment,
// sent to the endpoint the item names (POST /v1/requests/ID/review or
// POST /v1/breakglass/uses/BG-ID/review, with the CSRF token as every
// write); closed ones are behind "Show closed". The server refuses the
// requester, a second close and a reader's close; what the page disables
// is courtesy. Every value from the server goes in as text (dom.js).

import {api, session} from './api.js';
import {h, clear, errorBox, retryBox, transient, timeEl, visible, field, commandView} from './dom.js';
import {commentControl} from './review.js';
import * as badge from './badge.js';

const mayDecide = () => {
  const roles = session.me && Array.isArray(session.me.roles) ? session.me.roles : [];
  return roles.includes('approver') || roles.includes('admin');
};

function kindLabel(it) {
  return it.kind === 'offline' ? 'Offline code' : 'Breakglass rule';
}

// The facts of one item, as a definition list.
function facts(it) {
  const cmd = commandView(it.sudo_command || it.command || '');
  return h('dl', {class: 'kv'},
    field('Host', it.host),
    field('Service', it.service),
    field('Command', h('span', {class: 'cmd'}, cmd.node, cmd.notes), {mono: true}),
    it.kind === 'offline' ?
      [field('Code', it.code, {mono: true}), field('Code issued', it.rule),
        field('Used at (host clock)', it.at ? timeEl(it.at, 'abs') : null),
        field('Reported', it.reported_at ? timeEl(it.reported_at, 'rel') : null)] :
      [field('Reason', it.reason, {note: ' (requester-supplied)'}),
        it.ticket ? field('Ticket', it.ticket, {note: ' (requester-supplied)'}) : null,
        field('Rule', it.rule, {mono: true}),
        field('Request', h('a', {href: `/ui/requests/${encodeURIComponent(it.id)}`, 'data-nav': true},
          visible(it.code))),
        field('When', it.at ? timeEl(it.at, 'rel') : null)]);
}

// One item; onClosed(item) once the server closed it.
function itemCard(it, onClosed) {
  const dom = `bg-${it.kind}-${it.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const title = h('h3', {id: `${dom}-h`},
    h('span', {class: `bg-kind ${it.kind}`}, kindLabel(it)), ': ',
    visible(it.requester), ' became ', visible(it.target_user), ' on ', visible(it.host));
  const card = h('article', {class: 'card bg-item', id: dom, 'aria-labelledby': `${dom}-h`,
    dataset: {kind: it.kind, id: it.id}}, title, facts(it));
  if (it.review === 'closed') {
    card.classList.add('closed');
    card.append(h('p', {class: 'bg-state'}, 'Reviewed by ', h('strong', {}, visible(it.reviewed_by || '')), ' ',
      it.reviewed_at ? timeEl(it.reviewed_at, 'rel') : null),
    h('blockquote', {class: 'comment'}, visible(it.review_comment)));
    return card;
  }
  card.append(h('p', {class: 'bg-state'}, h('strong', {}, 'Needs review: '),
    it.kind === 'offline' ?
      'this elevation ran on a one-time code while approvald was unreachable; no one approved it.' :
      'this elevation ran on the requester\u2019s reason; no one approved it.'));
  if (it.own) {
    card.append(h('p', {class: 'self-note'}, 'This is your own break-glass: another approver must review it.'));
    return card;
  }
  if (!mayDecide()) {
    card.append(h('p', {class: 'muted'}, 'An approver closes the review.'));
    return card;
  }
  const ctl = commentControl({comment: `${dom}-comment`, msg: `${dom}-msg`, mark: `${dom}-mark`},
    (text) => it.kind === 'offline' ? api.reviewOffline(it.id, text) : api.review(it.id, text),
    () => onClosed(it));
  card.append(...ctl.nodes);
  return card;
}

export function mount(main) {
  const live = h('p', {id: 'bg-live', class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  const body = h('div', {id: 'bg-body'});
  const toggle = h('button', {type: 'button', id: 'bg-show-closed', class: 'link', 'aria-expanded': 'false'},
    'Show closed');
  main.appendChild(h('section', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {}, 'Break-glass'),
      h('p', {class: 'muted'}, 'Elevations let in without an approver: by a breakglass rule on a reason, ' +
        'or by an offline one-time code while approvald was unreachable. Each needs review by an ' +
        'approver other than the requester.')),
    live, body));
  document.title = 'Break-glass · approvald';

  let alive = true;
  let retry = null;
  let showClosed = false;
  toggle.addEventListener('click', () => {
    showClosed = !showClosed;
    load();
  });

  async function load(said) {
    if (retry) { retry.stop(); retry = null; }
    try {
      const r = await api.breakglass(showClosed);
      if (!alive) return;
      const items = Array.isArray(r.items) ? r.items : [];
      badge.setBreakglass(Number(r.open) || 0);
      const open = items.filter((it) => it.review !== 'closed');
      const closed = items.filter((it) => it.review === 'closed');
      const onClosed = (it) => load(`${kindLabel(it)} ${it.code} marked reviewed.`);
      toggle.textContent = showClosed ? 'Hide closed' : 'Show closed';
      toggle.setAttribute('aria-expanded', String(showClosed));
      // h() skips null children; Element.append would print "null"
      clear(body).appendChild(h('div', {},
        h('section', {id: 'bg-open', 'aria-labelledby': 'bg-open-h'},
          h('h2', {id: 'bg-open-h', tabindex: -1}, `Needs review (${Number(r.open) || 0})`),
          open.length ? open.map((it) => itemCard(it, onClosed)) :
            h('p', {class: 'empty'}, 'Nothing needs review.')),
        h('p', {}, toggle),
        showClosed ? h('section', {id: 'bg-closed', 'aria-labelledby': 'bg-closed-h'},
          h('h2', {id: 'bg-closed-h'}, 'Closed'),
          closed.length ? closed.map((it) => itemCard(it, onClosed)) :
            h('p', {class: 'empty'}, 'No closed reviews.')) : null));
      if (said) {
        live.textContent = said;
        document.getElementById('bg-open-h').focus();
      }
    } catch (e) {
      if (!alive || e.status === 401) return;
      clear(body).appendChild(transient(e) ?
        (retry = retryBox(e.message, () => { if (alive) load(); })) : errorBox(e.message));
    }
  }
  load();
  return () => { alive = false; if (retry) retry.stop(); };
}

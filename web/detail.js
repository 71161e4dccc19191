// detail.js: one request with its full context and history, and the
// decision form. When the server says `self` (the approver is the
// requester) the buttons are disabled and the reason shown; the server
// refuses such a decision anyway (403), so this is courtesy, not control.

import {api} from './api.js';
import {h, clear, visible, badge, timeEl, field, errorBox, span, parseTime} from './dom.js';
import {subscribe} from './events.js';
import {who, cutNote} from './reqview.js';

const KIND_WORD = {
  created: 'created',
  approved: 'approved',
  denied: 'denied',
  expired: 'expired',
  cancelled: 'cancelled',
  self_approval_refused: 'self-approval refused',
};

export function mount(main, {arg}) {
  const root = h('section', {class: 'page'});
  main.appendChild(root);
  let alive = true;
  let req = null;
  let busy = false;
  let note = null;    // message kept across reloads (result of a decision)

  async function load() {
    try {
      const r = await api.get(arg);
      if (!alive) return;
      req = r;
      if (!busy) render();
    } catch (e) {
      if (!alive || e.status === 401) return;
      clear(root).appendChild(h('div', {},
        h('h1', {}, e.status === 404 ? 'Request not found' : 'Cannot show this request'),
        errorBox(e.status === 404 ? 'There is no request with this id or code.' : e.message),
        h('p', {}, h('a', {href: '/ui/', 'data-nav': true}, 'Back to pending requests'))));
    }
  }

  function render() {
    const r = req;
    document.title = `${r.code || 'Request'} (${r.status}) · approvald`;
    const active = document.activeElement;
    const keepComment = root.querySelector('#comment');
    const commentText = keepComment ? keepComment.value : '';
    clear(root);

    root.appendChild(h('div', {class: 'page-head detail-head'},
      h('p', {class: 'crumbs'}, h('a', {href: r.status === 'pending' ? '/ui/' : '/ui/history', 'data-nav': true},
        r.status === 'pending' ? '← Pending' : '← History')),
      h('h1', {}, 'Request ', h('span', {class: 'code'}, r.code || ''), ' ', badge(r.status)),
      h('p', {class: 'lead'}, who(r), ' on ', h('strong', {}, visible(r.hostname || r.host)),
        ' via ', h('span', {class: 'service'}, visible(r.service)))));

    if (note) root.appendChild(note);

    // The command comes first: it is what is being approved.
    const cmd = h('div', {class: 'card'},
      h('h2', {}, 'Command'),
      r.sudo_command ? [
        h('p', {class: 'label'}, 'As resolved by sudo'),
        h('pre', {class: 'cmd-full', id: 'cmd-sudo'}, visible(r.sudo_command)),
        cutNote(r, 'sudo_command') ? h('p', {class: 'cmd-cut', id: 'cmd-sudo-cut'}, cutNote(r, 'sudo_command')) : null,
        h('p', {class: 'label'}, 'As typed (process command line)'),
      ] : null,
      h('pre', {class: 'cmd-full', id: 'cmd'}, visible(r.command)),
      cutNote(r, 'command') ? h('p', {class: 'cmd-cut', id: 'cmd-cut'}, cutNote(r, 'command')) : null);
    root.appendChild(cmd);

    root.appendChild(decisionCard(r, commentText));

    const created = parseTime(r.created_at);
    const decided = parseTime(r.decided_at);
    root.appendChild(h('div', {class: 'card'},
      h('h2', {}, 'Context'),
      h('dl', {class: 'kv'},
        field('Requester', h('span', {}, visible(r.user), h('span', {class: 'muted'}, ` (uid ${r.uid})`))),
        field('Target user', r.target_user),
        field('Host', r.hostname),
        field('Host (enrolled name)', r.host),
        field('Service', r.service),
        field('Working directory', r.cwd, {mono: true}),
        field('Terminal', r.tty, {mono: true}),
        field('Remote address', r.rhost, {mono: true}),
        field('Reason', r.reason, {note: 'requester-supplied'}),
        field('Ticket', r.ticket, {note: 'requester-supplied, not verified'}),
        field('Asked', timeEl(r.created_at, 'ago')),
        r.status === 'pending' ? field('Expires', timeEl(r.expires_at, 'left')) :
          field(`${r.status[0].toUpperCase()}${r.status.slice(1)}`, decided ? h('span', {}, timeEl(r.decided_at, 'rel'),
            created ? h('span', {class: 'muted'}, ` (after ${span((decided - created) / 1000)})`) : null) : null),
        r.decided_by ? field('Decided by', r.decided_by) : null,
        r.comment ? field('Comment', r.comment) : null,
        r.signed_by_key ? field('Receipt', `signed by key ${r.signed_by_key}`,
          {mono: true, note: 'approvalctl receipt show / verify'}) : null,
        field('Digest', r.digest, {mono: true, note: 'binds the decision to this exact context'}))));

    // Who or what initiated it: the requester's own words apart from what
    // the module observed. Reported links are shown as text, never followed.
    const anc = Array.isArray(r.ancestry) ? r.ancestry.slice().reverse() : [];
    root.appendChild(h('div', {class: 'card', id: 'initiator'},
      h('h2', {}, 'Initiated by ', r.initiator ? h('span', {class: `badge initiator-${r.initiator}`}, ` ${r.initiator}`) : null),
      h('dl', {class: 'kv', id: 'reported'},
        field('Agent', r.agent, {note: 'reported by the requester'}),
        field('Run', r.run_url, {mono: true, note: 'reported by the requester'}),
        field('Commit', r.commit, {mono: true, note: 'reported by the requester'}),
        field('Prompt', r.prompt, {note: 'reported by the requester'})),
      h('dl', {class: 'kv', id: 'observed'},
        field('Process chain', anc.length ? h('ol', {class: 'ancestry mono'}, anc.map((p) => h('li', {},
          `${p.pid} `, p.exe ? visible(p.exe) : h('span', {class: 'muted'}, '(executable not readable)'),
          p.argv ? h('span', {class: 'muted'}, '  ', visible(p.argv)) : null))) : null,
        {note: 'observed', empty: 'not observed'}),
        field('Audit login uid', r.loginuid === null || r.loginuid === undefined ? null : String(r.loginuid), {note: 'observed'}),
        field('Audit session', r.audit_session === null || r.audit_session === undefined ? null : String(r.audit_session), {note: 'observed'}),
        field('Terminal attached', typeof r.tty_attached === 'boolean' ? (r.tty_attached ? 'yes' : 'no') : null, {note: 'observed'}),
        r.observed_note ? field('Not observed', r.observed_note, {note: 'observed'}) : null)));

    const evs = Array.isArray(r.events) ? r.events : [];
    root.appendChild(h('div', {class: 'card'},
      h('h2', {}, 'History'),
      evs.length ? h('ol', {class: 'timeline'}, evs.map((e) => h('li', {class: `ev ev-${KIND_WORD[e.kind] ? e.kind : 'other'}`},
        h('span', {class: 'ev-kind'}, KIND_WORD[e.kind] || String(e.kind)),
        e.actor ? h('span', {class: 'ev-actor'}, ' by ', visible(e.actor)) : null,
        ' ', timeEl(e.at, 'rel'),
        e.detail ? h('div', {class: 'ev-detail'}, visible(e.detail)) : null)))
        : h('p', {class: 'muted'}, 'No events.')));

    if (active && active.id && root.querySelector(`#${active.id}`)) root.querySelector(`#${active.id}`).focus();
  }

  function decisionCard(r, commentText) {
    if (r.status !== 'pending') {
      return h('div', {class: `card decided state-${r.status}`},
        h('h2', {}, 'Decision'),
        h('p', {}, badge(r.status), ' ',
          r.decided_by ? ['by ', h('strong', {}, visible(r.decided_by)), ' '] : null,
          r.decided_at ? timeEl(r.decided_at, 'rel') : null),
        r.comment ? h('blockquote', {class: 'comment'}, visible(r.comment)) : null);
    }
    const msg = h('div', {id: 'decision-msg', role: 'alert', hidden: true});
    const comment = h('textarea', {id: 'comment', name: 'comment', rows: 3, maxlength: 2048,
      placeholder: 'Why? A deny comment is shown to the requester.'});
    comment.value = commentText;
    const approve = h('button', {type: 'button', id: 'approve', class: 'approve'}, 'Approve');
    const deny = h('button', {type: 'button', id: 'deny', class: 'deny'}, 'Deny');
    const card = h('div', {class: 'card decide'},
      h('h2', {}, 'Decide'),
      r.self ? h('p', {class: 'notice self', id: 'self-note'},
        'You cannot decide this request: you are the requester (or it ran as one of your unix logins). ',
        'Another approver has to decide it; the server refuses it too.') : null,
      msg,
      h('label', {for: 'comment'}, 'Comment ', h('span', {class: 'muted'}, '(optional)')),
      comment,
      h('div', {class: 'buttons'}, approve, deny));
    if (r.self) {
      approve.disabled = deny.disabled = comment.disabled = true;
      approve.title = deny.title = 'You are the requester';
      return card;
    }
    const decide = async (verdict) => {
      if (busy) return;
      busy = true;
      approve.disabled = deny.disabled = true;
      msg.hidden = true;
      try {
        req = await api.decide(r.id, verdict, comment.value.trim());
        note = h('div', {class: `flash state-${req.status}`, role: 'status'},
          `You ${verdict === 'approve' ? 'approved' : 'denied'} this request.`);
      } catch (e) {
        msg.className = 'error';
        msg.textContent = e.message;
        msg.hidden = false;
        approve.disabled = deny.disabled = false;
        busy = false;
        if (e.status === 409) load();
        return;
      }
      busy = false;
      if (alive) render();
    };
    approve.addEventListener('click', () => decide('approve'));
    deny.addEventListener('click', () => decide('deny'));
    return card;
  }

  const unsub = subscribe((evs) => {
    if (!req || evs.some((e) => e.request_id === req.id)) load();
  });
  load();
  return () => { alive = false; unsub(); };
}

// detail.js: one request with its full context and history, and the
// decision form. Everything an approver should read (command, reason,
// ticket, cwd, tty, the time the requester will wait, the policy rule and
// the approvals it needs ("needs 2 of dba, 1 given by alice") when there
// is one, again in the Decide card, who initiated it) comes before the
// buttons; an ended request says why (cancel_reason); Deny and
// Approve are apart and look different; Approve asks again, restating
// "Run <command> as <target> on <host>?". On a phone a sticky action bar
// appears only once the end of the context has been on screen. The outcome
// of a decision (yours, or that another approver decided first and yours
// was not applied, or that the server did not record it) stays on the page
// across reloads and gets the focus. When the server says `self` (the
// approver is the requester) the buttons are disabled and the reason
// shown; the server refuses such a decision anyway (403), so this is
// courtesy, not control.

import {api} from './api.js';
import {h, clear, visible, badge, timeEl, field, errorBox, span, parseTime, commandView, giveUpAt,
  retryBox, transient} from './dom.js';
import {subscribe} from './events.js';
import {who, cutNote, policyText, quorumText, endedText} from './reqview.js';
import {reviewCard} from './review.js';

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
  let outcome = null;  // {kind: 'mine'|'lost'|'unrecorded', verdict}: kept across reloads
  let focusOutcome = false;
  let confirming = false;  // the Approve confirmation is open
  let retry = null;
  let observer = null;

  async function load() {
    if (retry) { retry.stop(); retry = null; }
    try {
      const r = await api.get(arg);
      if (!alive) return;
      const was = req;
      req = r;
      if (confirming) {
        // the confirm dialog stays while the request is still pending
        if (r.status === 'pending') return;
        confirming = false;
        if (was && was.status === 'pending') { outcome = {kind: 'lost', verdict: 'approve'}; focusOutcome = true; }
      }
      if (!busy) render();
    } catch (e) {
      if (!alive || e.status === 401) return;
      if (req && transient(e)) return;   // keep what is shown; events.js says the link is down
      clear(root).appendChild(h('div', {},
        h('h1', {}, e.status === 404 ? 'Request not found' : 'Cannot show this request'),
        e.status === 404 ? errorBox('There is no request with this id or code.') :
          transient(e) ? (retry = retryBox(e.message, () => { if (alive) load(); })) : errorBox(e.message),
        h('p', {}, h('a', {href: '/ui/', 'data-nav': true}, 'Back to pending requests'))));
    }
  }

  // "Run `cmd` as `target` on `host`?" with the command as approvers read it.
  function restate(r) {
    const c = commandView(r.sudo_command || r.command, {max: 600});
    return h('p', {class: 'restate', id: 'confirm-text'},
      'Run ', h('code', {class: 'cmd-inline'}, c.node), ' as ', h('code', {}, visible(r.target_user)),
      ' on ', h('code', {}, visible(r.hostname || r.host)), '?',
      c.notes.length ? h('span', {class: 'cmd-notes'}, ' ', c.notes) : null);
  }

  function outcomeNote(r) {
    if (!outcome) return null;
    const by = r.decided_by ? ['by ', h('strong', {}, visible(r.decided_by)), ' '] : [];
    let el;
    if (outcome.kind === 'mine') {
      el = h('div', {class: `flash state-${r.status}`, role: 'status'},
        `You ${outcome.verdict === 'approve' ? 'approved' : 'denied'} this request.`);
    } else if (outcome.kind === 'lost') {
      el = h('div', {class: 'flash lost', role: 'alert'},
        h('strong', {}, 'Another approver decided first. '),
        r.status !== 'pending' ? ['This request was ', badge(r.status), ' ', by,
          r.decided_at ? timeEl(r.decided_at, 'rel') : null, '. '] : null,
        `Your decision (${outcome.verdict}) was not applied.`);
    } else {
      return null;
    }
    el.id = 'outcome';
    el.tabIndex = -1;
    return el;
  }

  function render() {
    const r = req;
    document.title = `${r.code || 'Request'} (${r.status}) · approvald`;
    const active = document.activeElement;
    const keepComment = root.querySelector('#comment');
    const commentText = keepComment ? keepComment.value : '';
    if (observer) { observer.disconnect(); observer = null; }
    clear(root);

    root.appendChild(h('div', {class: 'page-head detail-head'},
      h('p', {class: 'crumbs'}, h('a', {href: r.status === 'pending' ? '/ui/' : '/ui/history', 'data-nav': true},
        r.status === 'pending' ? '← Pending' : '← History')),
      h('h1', {}, 'Request ', h('span', {class: 'code'}, r.code || ''), ' ', badge(r.status)),
      h('p', {class: 'lead'}, who(r), ' on ', h('strong', {}, visible(r.hostname || r.host)),
        ' via ', h('span', {class: 'service'}, visible(r.service)))));

    const note = outcomeNote(r);
    if (note) root.appendChild(note);

    // The command comes first: it is what is being approved.
    const sudoView = r.sudo_command ? commandView(r.sudo_command) : null;
    const cmdView = commandView(r.command);
    root.appendChild(h('div', {class: 'card'},
      h('h2', {}, 'Command'),
      sudoView ? [
        h('p', {class: 'label'}, 'As resolved by sudo'),
        h('p', {class: 'cmd-full mono', id: 'cmd-sudo'}, sudoView.node),
        sudoView.notes.length ? h('p', {class: 'cmd-notes', id: 'cmd-sudo-notes'}, sudoView.notes) : null,
        cutNote(r, 'sudo_command') ? h('p', {class: 'cmd-cut', id: 'cmd-sudo-cut'}, cutNote(r, 'sudo_command')) : null,
        h('p', {class: 'label'}, 'As typed (process command line)'),
      ] : null,
      h('p', {class: 'cmd-full mono', id: 'cmd'}, cmdView.node),
      cmdView.notes.length ? h('p', {class: 'cmd-notes', id: 'cmd-notes'}, cmdView.notes) : null,
      cutNote(r, 'command') ? h('p', {class: 'cmd-cut', id: 'cmd-cut'}, cutNote(r, 'command')) : null));

    const created = parseTime(r.created_at);
    const decided = parseTime(r.decided_at);
    const rule = policyText(r);
    const quorum = quorumText(r);
    root.appendChild(h('div', {class: 'card', id: 'context'},
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
        r.status === 'pending' ? field('Requester gives up', h('span', {id: 'giveup'}, timeEl(giveUpAt(r), 'giveup')),
          {note: 'the module stops waiting then'}) :
          field(`${r.status[0].toUpperCase()}${r.status.slice(1)}`, decided ? h('span', {}, timeEl(r.decided_at, 'rel'),
            created ? h('span', {class: 'muted'}, ` (after ${span((decided - created) / 1000)})`) : null) : null),
        rule !== null ? field('Policy rule', h('span', {id: 'policy-rule'}, visible(rule)), {mono: true}) : null,
        quorum !== null ? field('Approvals', h('span', {id: 'quorum'}, visible(quorum))) : null,
        r.cancel_reason ? field('Ended because', h('span', {id: 'ended-why'}, endedText(r.cancel_reason))) : null,
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
    // the end of the context: the phone's action bar waits for it
    const contextEnd = h('div', {id: 'context-end', class: 'sentinel', 'aria-hidden': 'true'});
    root.appendChild(contextEnd);

    root.appendChild(decisionCard(r, commentText, contextEnd));
    if (r.breakglass) root.appendChild(reviewCard(r, (d) => { req = d; render(); }));

    const evs = Array.isArray(r.events) ? r.events : [];
    root.appendChild(h('div', {class: 'card'},
      h('h2', {}, 'History'),
      evs.length ? h('ol', {class: 'timeline'}, evs.map((e) => h('li', {class: `ev ev-${KIND_WORD[e.kind] ? e.kind : 'other'}`},
        h('span', {class: 'ev-kind'}, KIND_WORD[e.kind] || String(e.kind)),
        e.actor ? h('span', {class: 'ev-actor'}, ' by ', visible(e.actor)) : null,
        e.cancel_reason ? h('span', {class: 'ev-why'}, ` (${e.cancel_reason})`) : null,
        ' ', timeEl(e.at, 'rel'),
        e.detail ? h('div', {class: 'ev-detail'}, visible(e.detail)) : null)))
        : h('p', {class: 'muted'}, 'No events.')));

    if (focusOutcome && note) {
      focusOutcome = false;
      note.focus();
    } else if (active && active.id && root.querySelector(`#${active.id}`)) {
      root.querySelector(`#${active.id}`).focus();
    }
  }

  function decisionCard(r, commentText, contextEnd) {
    if (r.status !== 'pending') {
      return h('div', {class: `card decided state-${r.status}`},
        h('h2', {}, 'Decision'),
        h('p', {class: 'decision-line'}, badge(r.status), ' ',
          r.decided_by ? ['by ', h('strong', {}, visible(r.decided_by)), ' '] : null,
          r.decided_at ? timeEl(r.decided_at, 'rel') : null),
        r.cancel_reason ? h('p', {class: 'decision-why'}, 'Ended because ', endedText(r.cancel_reason), '.') : null,
        r.comment ? h('blockquote', {class: 'comment'}, visible(r.comment)) : null);
    }
    const msg = h('div', {id: 'decision-msg', role: 'alert', hidden: true});
    const comment = h('textarea', {id: 'comment', name: 'comment', rows: 3, maxlength: 2048,
      placeholder: 'Why? A deny comment is shown to the requester.'});
    comment.value = commentText;
    const approve = h('button', {type: 'button', id: 'approve', class: 'approve'}, '✓ Approve…');
    const deny = h('button', {type: 'button', id: 'deny', class: 'deny'}, '✕ Deny');
    const barApprove = h('button', {type: 'button', id: 'bar-approve', class: 'approve'}, '✓ Approve…');
    const barDeny = h('button', {type: 'button', id: 'bar-deny', class: 'deny'}, '✕ Deny');
    const bar = h('div', {class: 'action-bar', id: 'action-bar', role: 'group', 'aria-label': 'Decide', hidden: true},
      barDeny, barApprove);
    const yes = h('button', {type: 'button', id: 'confirm-approve', class: 'approve'}, 'Yes, approve');
    const no = h('button', {type: 'button', id: 'confirm-cancel', class: 'secondary', autofocus: true}, 'Cancel');
    const dialog = h('dialog', {id: 'confirm', class: 'confirm', 'aria-labelledby': 'confirm-title',
      'aria-describedby': 'confirm-text'},
      h('h2', {id: 'confirm-title'}, 'Approve this request?'),
      restate(r),
      h('p', {class: 'muted'}, `Requested by ${r.user}. The command runs as soon as you confirm.`),
      h('div', {class: 'buttons apart'}, no, yes));
    const card = h('div', {class: 'card decide', id: 'decide'},
      h('h2', {}, 'Decide'),
      r.self ? h('p', {class: 'notice self', id: 'self-note'},
        'You cannot decide this request: you are the requester (or it ran as one of your unix logins). ',
        'Another approver has to decide it; the server refuses it too.') : null,
      policyText(r) || quorumText(r) ? h('p', {class: 'decide-policy', id: 'decide-policy'},
        policyText(r) ? ['Policy ', h('span', {class: 'mono'}, visible(policyText(r)))] : null,
        policyText(r) && quorumText(r) ? ' · ' : null,
        quorumText(r) ? h('strong', {}, visible(quorumText(r))) : null) : null,
      msg,
      h('label', {for: 'comment'}, 'Comment ', h('span', {class: 'muted'}, '(optional)')),
      comment,
      h('div', {class: 'buttons apart'}, deny, approve),
      dialog, bar);
    if (r.self) {
      approve.disabled = deny.disabled = comment.disabled = true;
      approve.title = deny.title = 'You are the requester';
      return card;
    }
    const setDisabled = (v) => { for (const b of [approve, deny, barApprove, barDeny, yes]) b.disabled = v; };
    const decide = async (verdict) => {
      if (busy) return;
      busy = true;
      setDisabled(true);
      msg.hidden = true;
      try {
        req = await api.decide(r.id, verdict, comment.value.trim());
        outcome = {kind: 'mine', verdict};
      } catch (e) {
        busy = false;
        if (e.status === 409) {
          // the reload shows who decided; the note says yours did not count
          outcome = {kind: 'lost', verdict};
          focusOutcome = true;
          await load();
          return;
        }
        setDisabled(false);
        clear(msg);
        msg.className = 'error';
        if (transient(e)) {
          msg.appendChild(h('p', {}, h('strong', {}, 'Your decision was not recorded. '),
            e.status === 0 ? 'The server could not be reached.' : 'The server could not store it right now.',
            ' The request is still pending.'));
          msg.appendChild(h('button', {type: 'button', id: 'retry', class: verdict === 'approve' ? 'approve' : 'deny',
            onclick: () => decide(verdict)}, `Retry ${verdict}`));
        } else {
          msg.textContent = e.message;
        }
        msg.hidden = false;
        msg.tabIndex = -1;
        msg.focus();
        return;
      }
      busy = false;
      focusOutcome = true;
      if (alive) render();
    };
    const ask = () => {
      if (busy) return;
      confirming = true;
      dialog.showModal();
    };
    dialog.addEventListener('close', () => { confirming = false; });
    yes.addEventListener('click', () => { dialog.close(); decide('approve'); });
    no.addEventListener('click', () => dialog.close());
    approve.addEventListener('click', ask);
    barApprove.addEventListener('click', ask);
    deny.addEventListener('click', () => decide('deny'));
    barDeny.addEventListener('click', () => decide('deny'));
    // the phone's bar: shown once the end of the context has been on
    // screen, and from then on (scrolling back up keeps it)
    if ('IntersectionObserver' in window) {
      observer = new IntersectionObserver((entries) => {
        if (entries.some((en) => en.isIntersecting)) {
          bar.hidden = false;
          observer.disconnect();
        }
      });
      observer.observe(contextEnd);
    }
    return card;
  }

  const unsub = subscribe((evs) => {
    if (!req || evs.some((e) => e.request_id === req.id)) load();
  });
  load();
  return () => {
    alive = false;
    unsub();
    if (observer) observer.disconnect();
    if (retry) retry.stop();
  };
}

// reqview.js: one request as a row in the pending and history lists.
// Every field is untrusted text (visible() / text nodes only).

import {h, visible, badge, timeEl, span, parseTime, commandView, giveUpAt} from './dom.js';

// Characters of a command in a list row: longer ones show head … tail.
export const ROW_COMMAND_MAX = 240;

// Under sudo the resolved command (SUDO_COMMAND) is the clearer one to
// read first; the detail page shows both.
export function mainCommand(r) {
  return r.sudo_command || r.command || '';
}

// "command cut: N of M bytes shown" for a command text approvald says was
// cut (prefix 'command' or 'sudo_command'), else null. The digest binds the
// whole command; the approver must know the text is not all of it.
export function cutNote(r, prefix) {
  if (r[`${prefix}_truncated`] !== true) return null;
  const n = r[`${prefix}_shown`], m = r[`${prefix}_length`];
  return Number.isInteger(n) && Number.isInteger(m)
    ? `command cut: ${n} of ${m} bytes shown` : 'command cut';
}

// The policy rule that matched, as approvers read it ("rule 3: require
// approvals=2 groups=dba service=x"); the default policy only when it
// decided (allow, deny: "a human decides" is what every request shows
// anyway); else null. The rule text is the administrator's; still
// untrusted text here.
export function policyText(r) {
  if (Number.isInteger(r.policy_rule_id)) return `rule ${r.policy_rule_id}: ${r.policy_rule || r.policy_action || ''}`;
  if (r.policy_action && r.policy_action !== 'require') return `default policy: ${r.policy_action}`;
  return null;
}

// "needs 2 of dba, 1 given by alice" when more than one approval or a
// group is required (approval.quorum_text of sql/013), else null.
export function quorumText(r) {
  if (!r.quorum) return null;
  return (Number.isInteger(r.approvals_required) && r.approvals_required > 1) || r.approver_groups ? r.quorum : null;
}

// Why a request ended without a decision (cancel_reason), in words.
const ENDED_WHY = {
  interrupted: 'the requester pressed Ctrl-C (interrupted)',
  timeout: 'the requester\'s module stopped waiting (timeout)',
  unspecified: 'the host cancelled it without a reason (unspecified)',
  expired: 'nobody decided before the deadline (expired)',
};
export function endedText(reason) {
  if (!reason) return null;
  return ENDED_WHY[reason] || String(reason);
}

export function who(r) {
  return h('span', {class: 'who-line'},
    h('span', {class: 'user'}, visible(r.user)),
    h('span', {class: 'arrow'}, ' → '),
    h('span', {class: 'user target'}, visible(r.target_user)));
}

function hostText(r) {
  // hostname is what the module reported; host is the enrolled name
  if (r.host && r.hostname && r.host !== r.hostname) return `${r.hostname} (${r.host})`;
  return r.hostname || r.host || '';
}

export function requestRow(r, {mode}) {
  const href = `/ui/requests/${encodeURIComponent(r.id)}`;
  const meta = [];
  if (mode === 'pending' && r.self === true) {
    meta.push(h('span', {class: 'meta-item self-mark'}, 'your own request: another approver must decide it'));
  }
  if (Number.isInteger(r.group_count) && r.group_count > 1) {
    meta.push(h('span', {class: 'meta-item group-mark'},
      `${r.group_count} identical requests (same requester, host, target and command)`));
  }
  if (r.reason) {
    meta.push(h('span', {class: 'meta-item'}, h('span', {class: 'k'}, 'reason'),
      h('span', {class: 'v supplied'}, visible(r.reason))));
  }
  if (r.ticket) {
    meta.push(h('span', {class: 'meta-item'},
      h('span', {class: 'k', title: 'supplied by the requester, not verified'}, 'ticket (requester-supplied)'),
      h('span', {class: 'v supplied'}, visible(r.ticket))));
  }
  if (r.initiator === 'agent' || r.initiator === 'ci') {
    meta.push(h('span', {class: `meta-item initiator initiator-${r.initiator}`},
      h('span', {class: 'k'}, 'initiated by'), h('span', {class: 'v'}, r.initiator)));
  }
  if (r.agent) {
    meta.push(h('span', {class: 'meta-item'},
      h('span', {class: 'k', title: 'reported by the requester, not verified'}, 'agent (reported by the requester)'),
      h('span', {class: 'v supplied'}, visible(r.agent))));
  }
  const pol = policyText(r);
  if (pol) {
    meta.push(h('span', {class: 'meta-item policy-mark'}, h('span', {class: 'k'}, 'policy'),
      h('span', {class: 'v mono'}, visible(pol))));
  }
  const quorum = quorumText(r);
  if (quorum) {
    meta.push(h('span', {class: 'meta-item quorum-mark'}, h('span', {class: 'k'}, 'approvals'),
      h('span', {class: 'v'}, visible(quorum))));
  }
  if (mode !== 'pending' && r.cancel_reason) {
    meta.push(h('span', {class: 'meta-item ended-why'}, h('span', {class: 'k'}, 'ended because'),
      h('span', {class: 'v'}, endedText(r.cancel_reason))));
  }
  let times;
  if (mode === 'pending') {
    times = h('div', {class: 'times'},
      h('div', {}, h('span', {class: 'k'}, 'asked '), timeEl(r.created_at, 'ago')),
      h('div', {class: 'giveup'}, h('span', {class: 'k'}, 'requester gives up '), timeEl(giveUpAt(r), 'giveup')));
  } else {
    const c = parseTime(r.created_at);
    const d = parseTime(r.decided_at);
    times = h('div', {class: 'times'},
      h('div', {}, h('span', {class: 'k'}, 'asked '), timeEl(r.created_at, 'rel')),
      d ? h('div', {}, h('span', {class: 'k'}, `${r.status} `), timeEl(r.decided_at, 'rel')) : null,
      d && c ? h('div', {class: 'latency', title: 'time to decision'}, `after ${span((d - c) / 1000)}`) : null);
  }
  const decided = mode !== 'pending' && (r.decided_by || r.comment)
    ? h('div', {class: 'decision'},
      r.decided_by ? [h('span', {class: 'k'}, 'by '), h('span', {class: 'user'}, visible(r.decided_by))] : null,
      r.comment ? h('span', {class: 'comment'}, '“', visible(r.comment), '”') : null)
    : null;
  const cmd = commandView(mainCommand(r), {max: ROW_COMMAND_MAX});
  const cut = cutNote(r, r.sudo_command ? 'sudo_command' : 'command');
  // The link's name is its content (the state word, code, host, who, the
  // command with its markers, the times): what a screen reader announces
  // is what the row shows.
  return h('li', {class: `req state-${r.status}`, dataset: {id: r.id}},
    h('a', {class: 'req-link', href},
      h('div', {class: 'req-head'},
        badge(r.status),
        h('span', {class: 'code'}, r.code || ''),
        h('span', {class: 'host'}, visible(hostText(r))),
        who(r),
        r.service ? h('span', {class: 'service'}, visible(r.service)) : null),
      h('div', {class: 'cmd mono'}, cmd.node),
      cmd.notes.length || cut ? h('div', {class: 'cmd-notes'}, cmd.notes,
        cut ? h('span', {class: 'cmd-cut'}, cut) : null) : null,
      meta.length ? h('div', {class: 'meta'}, meta) : null,
      decided,
      times));
}

// review.js: the break-glass review card of a request page. A break-glass
// request was let in without an approver; it "needs review" until an
// approver other than the requester marks it reviewed with a comment
// (POST /v1/requests/ID/review, docs/api.md). The server refuses the
// requester and a second close too; the disabled button is courtesy.

import {api} from './api.js';
import {h, visible, timeEl} from './dom.js';

// onClosed(detail): the request as the server answers after the close.
export function reviewCard(r, onClosed) {
  const bg = r.breakglass;
  if (bg.review === 'closed') {
    return h('div', {class: 'card review closed', id: 'review'},
      h('h2', {}, 'Break-glass review'),
      h('p', {id: 'review-state'}, 'Reviewed by ', h('strong', {}, visible(bg.reviewed_by || '')), ' ',
        bg.reviewed_at ? timeEl(bg.reviewed_at, 'rel') : null),
      bg.comment ? h('blockquote', {class: 'comment'}, visible(bg.comment)) : null);
  }
  const ctl = commentControl({comment: 'review-comment', msg: 'review-msg', mark: 'mark-reviewed'},
    (text) => api.review(r.id, text), onClosed);
  const card = h('div', {class: 'card review', id: 'review'},
    h('h2', {}, 'Break-glass review'),
    h('p', {id: 'review-state'}, h('strong', {}, 'Needs review: '),
      'this elevation ran without an approver on the requester\'s reason. ',
      'An approver other than the requester closes the review.'),
    r.self ? h('p', {class: 'self-note'}, 'You cannot review your own break-glass.') : null,
    ctl.nodes);
  if (r.self) ctl.mark.disabled = ctl.comment.disabled = true;
  return card;
}

// The "Review comment" field, its message line and "Mark reviewed": the
// comment is required (refused here, nothing sent); send(text) is the
// server call, onDone(answer) its result. ids: {comment, msg, mark}, the
// elements' ids (unique on the page).
export function commentControl(ids, send, onDone) {
  const msg = h('div', {id: ids.msg, class: 'review-msg', role: 'alert', hidden: true});
  const comment = h('textarea', {id: ids.comment, name: ids.comment, rows: 2, maxlength: 2048,
    placeholder: 'What did you check? (required)'});
  const mark = h('button', {type: 'button', id: ids.mark, class: 'approve mark-reviewed'}, 'Mark reviewed');
  mark.addEventListener('click', async () => {
    const text = comment.value.trim();
    msg.hidden = true;
    if (!text) {
      msg.textContent = 'Write what you checked first.';
      msg.hidden = false;
      comment.focus();
      return;
    }
    mark.disabled = true;
    try {
      onDone(await send(text));
    } catch (e) {
      msg.textContent = e.message;
      msg.hidden = false;
      mark.disabled = false;
    }
  });
  return {comment, mark, nodes: [h('label', {for: ids.comment}, 'Review comment'), comment, msg,
    h('div', {class: 'buttons'}, mark)]};
}

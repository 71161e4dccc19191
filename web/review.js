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
  const msg = h('div', {id: 'review-msg', role: 'alert', hidden: true});
  const comment = h('textarea', {id: 'review-comment', name: 'review-comment', rows: 2, maxlength: 2048,
    placeholder: 'What did you check? (required)'});
  const mark = h('button', {type: 'button', id: 'mark-reviewed', class: 'approve'}, 'Mark reviewed');
  const card = h('div', {class: 'card review', id: 'review'},
    h('h2', {}, 'Break-glass review'),
    h('p', {id: 'review-state'}, h('strong', {}, 'Needs review: '),
      'this elevation ran without an approver on the requester\'s reason. ',
      'An approver other than the requester closes the review.'),
    r.self ? h('p', {class: 'self-note'}, 'You cannot review your own break-glass.') : null,
    h('label', {for: 'review-comment'}, 'Review comment'), comment, msg,
    h('div', {class: 'buttons'}, mark));
  if (r.self) mark.disabled = comment.disabled = true;
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
      onClosed(await api.review(r.id, text));
    } catch (e) {
      msg.textContent = e.message;
      msg.hidden = false;
      mark.disabled = false;
    }
  });
  return card;
}

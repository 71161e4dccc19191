// policy.js: the policy as it decides now, read-only (GET /v1/policy,
// docs/api.md "Policy"): its version, the rules in the order they are
// tried (first match wins), the default, and the approver and host groups
// with their members. Changing it is `approvalctl policy` (admin): the
// page says so and offers nothing that writes.

import {api} from './api.js';
import {h, clear, errorBox, retryBox, transient, timeEl, visible} from './dom.js';

function groupList(id, title, groups, key, empty) {
  return h('section', {class: 'card', id, 'aria-labelledby': `${id}-h`},
    h('h2', {id: `${id}-h`}, title),
    groups.length ?
      h('dl', {class: 'groups'}, groups.flatMap((g) => [
        h('dt', {class: 'mono'}, visible(g.name)),
        h('dd', {}, g[key].length ? visible(g[key].join(', ')) : h('span', {class: 'muted'}, 'no members')),
      ])) :
      h('p', {class: 'empty'}, empty));
}

export function mount(main) {
  const body = h('div', {id: 'policy-body'});
  main.appendChild(h('section', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {}, 'Policy'),
      h('p', {class: 'muted'}, 'Read-only. Rules are tried in order; the first that matches decides, ' +
        'else the default. Changes are made with ', h('code', {}, 'approvalctl policy'),
        ' (admin) and are audited.')),
    body));
  document.title = 'Policy · approvald';

  let alive = true;
  let retry = null;
  async function load() {
    if (retry) { retry.stop(); retry = null; }
    try {
      const p = await api.policy();
      if (!alive) return;
      const rules = Array.isArray(p.rules) ? p.rules : [];
      clear(body).append(
        h('p', {id: 'policy-version'}, 'Policy version ', h('strong', {}, String(p.version)),
          p.changed_at ? [', changed ', timeEl(p.changed_at, 'rel')] : null,
          p.changed_by ? [' by ', visible(p.changed_by)] : null, '.'),
        h('section', {class: 'card', 'aria-labelledby': 'rules-h'},
          h('h2', {id: 'rules-h'}, 'Rules'),
          rules.length ?
            h('table', {class: 'rules', id: 'rules'},
              h('thead', {}, h('tr', {},
                h('th', {scope: 'col'}, '#'), h('th', {scope: 'col'}, 'Rule'), h('th', {scope: 'col'}, 'Id'))),
              h('tbody', {}, rules.map((r) => h('tr', {},
                h('td', {}, String(r.position)),
                h('td', {class: 'mono rule'}, visible(r.rule)),
                h('td', {class: 'muted'}, String(r.id)))))) :
            h('p', {class: 'empty'}, 'No rules: every request is decided by the default.'),
          h('p', {id: 'policy-default'}, h('strong', {}, 'Default: '), h('code', {}, visible(p.default)))),
        groupList('approver-groups', 'Approver groups', Array.isArray(p.groups) ? p.groups : [],
          'members', 'No approver groups.'),
        groupList('host-groups', 'Host groups', Array.isArray(p.host_groups) ? p.host_groups : [],
          'hosts', 'No host groups.'));
    } catch (e) {
      if (!alive || e.status === 401) return;
      clear(body).appendChild(transient(e) ?
        (retry = retryBox(e.message, () => { if (alive) load(); })) : errorBox(e.message));
    }
  }
  load();
  return () => { alive = false; if (retry) retry.stop(); };
}

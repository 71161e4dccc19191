// api.js: the JSON API as the page uses it (docs/api.md). The session
// cookie is HttpOnly and sent by the browser; every state-changing request
// carries the session's CSRF token in X-CSRF-Token. Errors become ApiError
// with a message fit for people: the server's short "detail" for 4xx, a
// generic sentence for anything else (nothing internal is shown).

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body || {};
  }
}

export const session = {
  me: null,      // {login, display_name, roles, csrf_token, via, expires_at}
  onSignedOut: null,
};

const GENERIC = {
  0: 'The server cannot be reached. Check the connection and try again.',
  401: 'Your session has ended. Sign in again.',
  403: 'You are not allowed to do this.',
  404: 'Not found.',
  409: 'This request was already decided.',
  429: 'Too many attempts. Wait a moment and try again.',
};

async function call(method, path, body, {signal, quiet401} = {}) {
  const headers = {'Accept': 'application/json'};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store', signal};
  if (method !== 'GET' && method !== 'HEAD') {
    if (session.me && session.me.csrf_token) headers['X-CSRF-Token'] = session.me.csrf_token;
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', GENERIC[0]);
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) {
    try { data = await res.json(); } catch (e) { data = null; }
  }
  if (res.ok) return data || {};
  const code = data && typeof data.error === 'string' ? data.error : 'error';
  let msg;
  if (res.status >= 400 && res.status < 500 && data && typeof data.detail === 'string' && data.detail) {
    msg = data.detail;
  } else {
    msg = GENERIC[res.status] || 'The server could not complete this. Try again later.';
  }
  if (res.status === 401 && !quiet401 && session.onSignedOut) {
    session.me = null;
    session.onSignedOut();
  }
  throw new ApiError(res.status, code, msg, data);
}

export const api = {
  whoami: () => call('GET', '/v1/session', null, {quiet401: true}),
  signIn: (login, password) => call('POST', '/v1/session', {login, password}, {quiet401: true}),
  signInSso: () => call('POST', '/v1/session', {sso: true}, {quiet401: true}),
  signOut: () => call('POST', '/v1/session/logout', {}),
  list: (params, opts) => call('GET', '/v1/requests?' + new URLSearchParams(params), null, opts),
  get: (id, opts) => call('GET', `/v1/requests/${encodeURIComponent(id)}`, null, opts),
  decide: (id, verdict, comment) => call('POST',
    `/v1/requests/${encodeURIComponent(id)}/${verdict === 'approve' ? 'approve' : 'deny'}`,
    comment ? {comment} : {}),
  review: (id, comment) => call('POST', `/v1/requests/${encodeURIComponent(id)}/review`, {comment}),
  reviewOffline: (id, comment) => call('POST', `/v1/breakglass/uses/${encodeURIComponent(id)}/review`, {comment}),
  breakglass: (all, {limit, ...opts} = {}) => call('GET',
    `/v1/breakglass?all=${all ? 1 : 0}` + (limit ? `&limit=${Number(limit)}` : ''), null, opts),
  reports: (opts) => call('GET', '/v1/reports', null, opts),
  policy: (opts) => call('GET', '/v1/policy', null, opts),
  report: (name, params, opts) => call('GET',
    `/v1/reports/${encodeURIComponent(name)}?` + new URLSearchParams(params), null, opts),
  events: (after, timeout, signal) => {
    const q = new URLSearchParams({timeout: String(timeout)});
    if (after !== null && after !== undefined) q.set('after', String(after));
    return call('GET', '/v1/events?' + q, null, {signal});
  },
};

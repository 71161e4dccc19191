// login.js: the sign-in form. The server answers one generic message for
// any wrong login/password pair, and a wait time after repeated failures;
// both are shown as they come, nothing else is guessed here.

import {api, session} from './api.js';
import {h} from './dom.js';

export function mount(main, {onSignedIn}) {
  const err = h('div', {class: 'error', role: 'alert', hidden: true});
  const loginIn = h('input', {id: 'login', name: 'login', type: 'text', autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: 128});
  const pwIn = h('input', {id: 'password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true, maxlength: 1024});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'card signin', novalidate: true},
    h('h1', {}, 'Sign in'),
    h('p', {class: 'muted'}, 'Approvers sign in to review and decide elevation requests.'),
    err,
    h('label', {for: 'login'}, 'Login'), loginIn,
    h('label', {for: 'password'}, 'Password'), pwIn,
    submit);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    if (!loginIn.value || !pwIn.value) {
      err.textContent = 'Enter your login and password.';
      err.hidden = false;
      (loginIn.value ? pwIn : loginIn).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      session.me = await api.signIn(loginIn.value, pwIn.value);
      onSignedIn();
    } catch (e) {
      err.textContent = e.status === 401 ? 'Sign-in failed: wrong login or password.' : e.message;
      err.hidden = false;
      pwIn.value = '';
      pwIn.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });

  main.appendChild(h('section', {class: 'page narrow'}, form));
  loginIn.focus();
  return null;
}

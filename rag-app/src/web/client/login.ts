// Sign in and create an account.

import { api, reason } from './api.ts';
import { append, h } from './dom.ts';
import type { Credentials, Me, SignedIn } from './types.ts';

/** Where to go after signing in: `?next=` when it is a path on this site, else the chat. */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

interface AccountForm {
  id: string;
  heading: string;
  action: (body: Credentials) => Promise<SignedIn>;
  submitLabel: string;
  autocomplete: 'current-password' | 'new-password';
}

function accountForm({ id, heading, action, submitLabel, autocomplete }: AccountForm): HTMLFormElement {
  const email = h('input', {
    id: `${id}-email`,
    type: 'email',
    name: 'email',
    autocomplete: 'email',
    required: true,
  });
  const password = h('input', {
    id: `${id}-password`,
    type: 'password',
    name: 'password',
    autocomplete,
    required: true,
    minlength: 8,
  });
  const error = h('p', { class: 'error-text', role: 'alert', id: `${id}-error` });
  const submit = h('button', { type: 'submit' }, submitLabel);
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'panel account-form',
      id,
      'aria-labelledby': `${id}-title`,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        submit.disabled = true;
        form.setAttribute('aria-busy', 'true');
        try {
          await action({ email: email.value, password: password.value });
          location.assign(nextPath());
        } catch (err) {
          error.textContent = reason(err);
          submit.disabled = false;
          form.removeAttribute('aria-busy');
        }
      },
    },
    h('h2', { id: `${id}-title` }, heading),
    h('label', { for: `${id}-email` }, 'Email'),
    email,
    h('label', { for: `${id}-password` }, 'Password'),
    password,
    error,
    submit,
  );
  return form;
}

export function renderLogin(main: HTMLElement, me: Me): void {
  // append, not main.append: the DOM's own would write the absent notice as the text "null".
  append(main, [
    h('h1', {}, me.user && !me.user.anonymous ? `Signed in as ${me.user.email}` : 'Sign in'),
    h(
      'div',
      { class: 'account-forms' },
      accountForm({
        id: 'signin',
        heading: 'Sign in',
        action: api.signIn,
        submitLabel: 'Sign in',
        autocomplete: 'current-password',
      }),
      accountForm({
        id: 'signup',
        heading: 'Create an account',
        action: api.signUp,
        submitLabel: 'Create account',
        autocomplete: 'new-password',
      }),
    ),
    me.allowAnonymous
      ? h('p', {}, 'You can also ', h('a', { href: '/' }, 'ask without an account'), '.')
      : null,
  ]);
}

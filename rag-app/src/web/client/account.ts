// The account page: change the password, sign out everywhere, delete one's data.

import { ApiError, api, reason } from './api.ts';
import { clear, h, say } from './dom.ts';
import type { Me, SessionUser } from './types.ts';

/** The server's own bounds for a password (schemas.ts `credentials`). */
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 200;

export interface AccountHooks {
  /** This browser's session has ended (signed out everywhere, guest deleted). */
  signedOut: () => void;
}

type PasswordField = 'current' | 'new' | 'repeat';

/** What is wrong with the form's values before asking the server, and in which field; null when nothing. */
function passwordProblem(
  current: string,
  next: string,
  repeated: string,
): { field: PasswordField; message: string } | null {
  if (current === '') return { field: 'current', message: 'Enter your current password.' };
  if (next.length < PASSWORD_MIN)
    return {
      field: 'new',
      message: `The new password is too short: use at least ${PASSWORD_MIN} characters.`,
    };
  if (next.length > PASSWORD_MAX)
    return { field: 'new', message: `The new password is too long: use at most ${PASSWORD_MAX} characters.` };
  if (next !== repeated)
    return {
      field: 'repeat',
      message: 'The new password and its repetition differ: type the same password twice.',
    };
  if (next === current) return { field: 'new', message: 'The new password is the same as the current one.' };
  return null;
}

/** "try again in 30 s" → "Try again in 30 s." */
const sentence = (text: string) =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;

/** The server's refusal, said for this form, and the field it is about. */
function passwordError(err: unknown): { field: PasswordField | null; message: string } {
  if (err instanceof ApiError && err.code === 'invalid_credentials')
    return { field: 'current', message: 'The current password is wrong.' };
  // Sign-in backoff or the per-address limit: the server says how long to wait.
  if (err instanceof ApiError && err.status === 429) return { field: null, message: sentence(err.message) };
  return { field: null, message: sentence(`the password was not changed: ${reason(err)}`) };
}

/** A labelled password field that can be marked invalid with the form's error. */
function passwordField(id: string, label: string, autocomplete: string, errorId: string) {
  const input = h('input', {
    id,
    type: 'password',
    autocomplete,
    required: true,
    maxlength: PASSWORD_MAX,
    'aria-describedby': errorId,
  });
  return { input, nodes: [h('label', { for: id }, label), input] };
}

function passwordForm(): HTMLElement {
  const errorId = 'password-error';
  const current = passwordField('current-password', 'Current password', 'current-password', errorId);
  const next = passwordField('new-password', 'New password', 'new-password', errorId);
  const repeated = passwordField('repeat-password', 'New password again', 'new-password', errorId);
  const hint = h(
    'p',
    { class: 'muted', id: 'new-password-hint' },
    `At least ${PASSWORD_MIN} characters. Changing it signs out every other device.`,
  );
  next.input.setAttribute('aria-describedby', `new-password-hint ${errorId}`);
  const error = h('p', { class: 'error-text', role: 'alert', id: errorId });
  const status = h('p', { role: 'status', id: 'password-status' });
  const submit = h('button', { type: 'submit' }, 'Change password');
  const inputs: Record<PasswordField, HTMLInputElement> = {
    current: current.input,
    new: next.input,
    repeat: repeated.input,
  };

  /** Shows the error (or clears it) and marks and focuses the field it is about. */
  const showError = (message: string, field: PasswordField | null) => {
    error.textContent = message;
    for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
    if (!field) return;
    inputs[field].setAttribute('aria-invalid', 'true');
    inputs[field].focus();
    inputs[field].select();
  };

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'settings-form',
      id: 'password-form',
      // Our own messages, in words, in one place (the browser's bubbles vanish and differ).
      novalidate: true,
      'aria-labelledby': 'password-title',
      onsubmit: async (event) => {
        event.preventDefault();
        status.textContent = '';
        const problem = passwordProblem(current.input.value, next.input.value, repeated.input.value);
        showError(problem?.message ?? '', problem?.field ?? null);
        if (problem) return;
        submit.disabled = true;
        form.setAttribute('aria-busy', 'true');
        status.textContent = 'Changing the password…';
        try {
          await api.changePassword({ currentPassword: current.input.value, newPassword: next.input.value });
          form.reset();
          say(status, 'Password changed. Every other device is signed out; this one stays signed in.', 'ok');
        } catch (err) {
          status.textContent = '';
          const refused = passwordError(err);
          showError(refused.message, refused.field);
        } finally {
          submit.disabled = false;
          form.removeAttribute('aria-busy');
        }
      },
    },
    h('h2', { id: 'password-title' }, 'Change password'),
    current.nodes,
    next.nodes,
    hint,
    repeated.nodes,
    error,
    h('div', { class: 'row' }, submit),
    status,
  );
  return form;
}

/**
 * A dangerous button that asks first: the first press shows what will happen and the real button,
 * with Cancel (which has the focus) beside it.
 */
function confirmed(options: {
  id: string;
  label: string;
  warning: string;
  confirmLabel: string;
  run: (status: HTMLElement) => Promise<void>;
}): HTMLElement {
  const box = h('div', { class: 'confirm-box' });
  const status = h('p', { role: 'status', id: `${options.id}-status` });
  const showButton = () =>
    clear(box).append(
      h('button', { type: 'button', class: 'danger', id: options.id, onclick: ask }, options.label),
    );
  const ask = () => {
    const cancel = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          showButton();
          document.getElementById(options.id)?.focus();
        },
      },
      'Cancel',
    );
    const confirm: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        id: `${options.id}-confirm`,
        onclick: async () => {
          confirm.disabled = true;
          cancel.disabled = true;
          try {
            await options.run(status);
          } catch (err) {
            say(status, `${options.label} failed: ${reason(err)}`, 'error');
          } finally {
            // Back to the first button (unless the page moved on), focus with it: the status says what happened.
            showButton();
            if (box.isConnected) document.getElementById(options.id)?.focus();
          }
        },
      },
      options.confirmLabel,
    );
    const warningId = `${options.id}-warning`;
    clear(box).append(
      h(
        'div',
        { class: 'confirm', role: 'group', 'aria-labelledby': warningId },
        h('p', { id: warningId, class: 'confirm-warning' }, options.warning),
        h('div', { class: 'row' }, confirm, cancel),
      ),
    );
    cancel.focus();
  };
  showButton();
  return h('div', {}, box, status);
}

/** Deletes the account's conversations one by one (the API deletes only a guest whole). */
async function deleteAllConversations(): Promise<number> {
  const deleted = new Set<string>();
  for (;;) {
    const { conversations } = await api.conversations(100);
    if (conversations.length === 0) return deleted.size;
    for (const conv of conversations) {
      // One the server listed again after deleting it would loop for ever: stop and say so.
      if (deleted.has(conv.id)) throw new Error(`conversation ${conv.id} is still listed after its deletion`);
      await api.deleteConversation(conv.id);
      deleted.add(conv.id);
    }
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function accountSections(main: HTMLElement, panel: HTMLElement, user: SessionUser, hooks: AccountHooks) {
  const ended = (message: string) => {
    hooks.signedOut();
    clear(panel).append(
      h('h1', { id: 'account-title' }, 'Account'),
      h('p', { role: 'status', id: 'account-status', tabindex: '-1' }, message),
      h('p', {}, h('a', { href: '/login', class: 'button' }, 'Sign in again')),
    );
    main.querySelector<HTMLElement>('#account-status')?.focus();
  };

  const everywhereStatus = h('p', { role: 'status', id: 'sign-out-everywhere-status' });
  panel.append(
    h('p', {}, 'Signed in as ', h('strong', { id: 'account-email' }, user.email), '.'),
    passwordForm(),
    h(
      'section',
      { class: 'settings-section', 'aria-labelledby': 'everywhere-title' },
      h('h2', { id: 'everywhere-title' }, 'Sign out everywhere'),
      h('p', {}, 'Ends every session of this account: on other computers and phones, and in this browser.'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'sign-out-everywhere',
          onclick: async (event) => {
            const button = event.currentTarget as HTMLButtonElement;
            button.disabled = true;
            try {
              const { sessionsEnded } = await api.signOutEverywhere();
              ended(`Signed out everywhere: ${plural(sessionsEnded, 'session', 'sessions')} ended.`);
            } catch (err) {
              button.disabled = false;
              say(everywhereStatus, `Could not sign out everywhere: ${reason(err)}`, 'error');
            }
          },
        },
        'Sign out everywhere',
      ),
      everywhereStatus,
    ),
    h(
      'section',
      { class: 'settings-section', 'aria-labelledby': 'delete-title' },
      h('h2', { id: 'delete-title' }, 'Delete my conversations'),
      h(
        'p',
        {},
        'Deletes every conversation of this account now. The account itself stays; to have it removed, ask whoever runs this site.',
      ),
      confirmed({
        id: 'delete-conversations',
        label: 'Delete all my conversations',
        warning: 'Delete every conversation of this account? This cannot be undone.',
        confirmLabel: 'Yes, delete them all',
        run: async (status) => {
          say(status, 'Deleting…');
          const n = await deleteAllConversations();
          say(status, `Deleted ${plural(n, 'conversation', 'conversations')}.`, 'ok');
        },
      }),
    ),
  );
}

function guestSections(main: HTMLElement, panel: HTMLElement, me: Me, hooks: AccountHooks) {
  const days = me.guestRetentionDays;
  panel.append(
    h(
      'p',
      {},
      'You are asking as a guest: your conversations belong to this browser alone. ',
      h('a', { href: '/login' }, 'Sign in or create an account'),
      ' to keep them apart from this browser.',
    ),
    h(
      'section',
      { class: 'settings-section', 'aria-labelledby': 'delete-title' },
      h('h2', { id: 'delete-title' }, 'Delete my data'),
      h(
        'p',
        {},
        'Deletes your conversations and this guest identity now.',
        days > 0 ? ` Otherwise they are deleted ${plural(days, 'day', 'days')} after your last visit.` : '',
      ),
      confirmed({
        id: 'delete-data',
        label: 'Delete my data',
        warning: 'Delete your conversations and your guest identity? This cannot be undone.',
        confirmLabel: 'Yes, delete everything',
        run: async () => {
          await api.deleteMe();
          hooks.signedOut();
          clear(panel).append(
            h('h1', { id: 'account-title' }, 'Your data'),
            h(
              'p',
              { role: 'status', id: 'account-status', tabindex: '-1' },
              'Deleted: your conversations and your guest identity are gone.',
            ),
            h('p', {}, h('a', { href: '/' }, 'Ask something new'), ' (as a new guest).'),
          );
          main.querySelector<HTMLElement>('#account-status')?.focus();
        },
      }),
    ),
  );
}

export function renderAccount(main: HTMLElement, me: Me, hooks: AccountHooks): void {
  const panel = h('section', { class: 'panel narrow settings', 'aria-labelledby': 'account-title' });
  main.append(panel);
  const { user } = me;
  if (!user) {
    panel.append(
      h('h1', { id: 'account-title' }, 'Account'),
      h(
        'p',
        {},
        me.allowAnonymous
          ? 'Nothing is stored about you: you have not asked anything yet. '
          : 'You are not signed in. ',
        h('a', { href: '/login?next=/account' }, 'Sign in'),
        ' to change your password or sign out everywhere.',
      ),
    );
    return;
  }
  panel.append(h('h1', { id: 'account-title' }, user.anonymous ? 'Your data' : 'Account'));
  if (user.anonymous) guestSections(main, panel, me, hooks);
  else accountSections(main, panel, user, hooks);
}

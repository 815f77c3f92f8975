// Admin setup: claim the admin role with the one-time link the server printed at start-up.

import { api, reason } from './api.ts';
import { h } from './dom.ts';
import type { Me } from './types.ts';

export function renderSetup(main: HTMLElement, me: Me): void {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const panel = h('section', { class: 'panel narrow', 'aria-labelledby': 'setup-title' });
  panel.append(h('h1', { id: 'setup-title' }, 'Admin setup'));
  main.append(panel);

  if (!token) {
    panel.append(h('p', {}, 'Open the link the server printed at start-up (it carries the setup token).'));
    return;
  }
  if (me.user?.isAdmin) {
    panel.append(
      h('p', {}, 'You are an admin already. ', h('a', { href: '/admin' }, 'Go to the admin page'), '.'),
    );
    return;
  }
  if (!me.user || me.user.anonymous) {
    const here = `${location.pathname}${location.search}`;
    panel.append(
      h(
        'p',
        {},
        'Sign in, or create the account that will administer the library; you come back here after.',
      ),
      h(
        'p',
        {},
        h(
          'a',
          { class: 'button', id: 'setup-sign-in', href: `/login?next=${encodeURIComponent(here)}` },
          'Sign in or create an account',
        ),
      ),
    );
    return;
  }

  const status = h('p', { role: 'status', id: 'setup-status' });
  const claim: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      id: 'setup-claim',
      onclick: async () => {
        claim.disabled = true;
        status.textContent = 'Claiming…';
        try {
          await api.claimAdmin({ token });
          // The link is spent: keep it out of the history.
          history.replaceState(null, '', '/admin/setup');
          location.assign('/admin');
        } catch (err) {
          status.textContent = reason(err);
          status.dataset.kind = 'error';
          claim.disabled = false;
        }
      },
    },
    `Make ${me.user.email} the admin`,
  );
  panel.append(
    h('p', {}, 'No one administers this library yet. The link works once, until the server restarts.'),
    claim,
    status,
  );
}

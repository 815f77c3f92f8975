// Boots a page: who is signed in, the header, then the page's own renderer.

import { renderAccount } from './account.ts';
import { renderAdmin } from './admin.ts';
import { api, reason, setCsrfToken } from './api.ts';
import { renderChat } from './chat.ts';
import { append, byId, clear, h } from './dom.ts';
import { renderLibrary } from './library.ts';
import { renderLogin } from './login.ts';
import { renderSetup } from './setup.ts';
import type { Me } from './types.ts';

const NAV = [
  { page: 'chat', href: '/', label: 'Chat', admin: false },
  { page: 'library', href: '/library', label: 'Library', admin: false },
  { page: 'admin', href: '/admin', label: 'Admin', admin: true },
];

function renderHeader(me: Me, page: string): void {
  const links = NAV.filter((item) => !item.admin || me.user?.isAdmin).map((item) =>
    h(
      'li',
      {},
      h('a', { href: item.href, 'aria-current': item.page === page ? 'page' : undefined }, item.label),
    ),
  );
  clear(byId('main-nav')).append(h('ul', { class: 'nav-list' }, links));
  const account = clear(byId('account'));
  // Settings (password, sign out everywhere, deleting one's data) for anyone the site knows.
  const accountLink = me.user
    ? h(
        'a',
        { href: '/account', id: 'account-link', 'aria-current': page === 'account' ? 'page' : undefined },
        'Account',
      )
    : null;
  if (me.user && !me.user.anonymous) {
    append(account, [
      h('span', { class: 'who', id: 'signed-in-as' }, me.user.email),
      accountLink,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'sign-out',
          onclick: async () => {
            await api.signOut().catch(() => undefined);
            location.assign('/login');
          },
        },
        'Sign out',
      ),
    ]);
  } else if (page !== 'login') {
    append(account, [accountLink, h('a', { href: '/login', class: 'button secondary' }, 'Sign in')]);
  }
}

async function boot(): Promise<void> {
  const page = document.body.dataset.page ?? '';
  const main = byId('main');
  let me: Me;
  try {
    me = await api.me();
  } catch (err) {
    document.getElementById('page-loading')?.remove();
    main.append(
      h('p', { class: 'error-text', role: 'alert' }, `The server is not answering: ${reason(err)}`),
    );
    return;
  }
  setCsrfToken(me.csrfToken);
  renderHeader(me, page);
  document.getElementById('page-loading')?.remove();
  if (page === 'chat') renderChat(main, me);
  else if (page === 'library') renderLibrary(main);
  else if (page === 'admin') renderAdmin(main, me);
  else if (page === 'login') renderLogin(main, me);
  else if (page === 'setup') renderSetup(main, me);
  else if (page === 'account') {
    // Signing out everywhere or deleting a guest ends this browser's session too: the header follows.
    renderAccount(main, me, { signedOut: () => renderHeader({ ...me, user: null }, page) });
  }
  document.body.dataset.ready = 'true';
}

boot();

// Boots a page: who is signed in, the header, then the page's own module.

import { api, setCsrfToken } from './api.js';
import { clear, h } from './dom.js';

const NAV = [
  { page: 'chat', href: '/', label: 'Chat' },
  { page: 'library', href: '/library', label: 'Library' },
  { page: 'admin', href: '/admin', label: 'Admin', admin: true },
];

function renderHeader(me, page) {
  const nav = document.getElementById('main-nav');
  const links = NAV.filter((item) => !item.admin || me.user?.isAdmin).map((item) =>
    h(
      'li',
      {},
      h('a', { href: item.href, 'aria-current': item.page === page ? 'page' : undefined }, item.label),
    ),
  );
  clear(nav).append(h('ul', { class: 'nav-list' }, links));
  const account = clear(document.getElementById('account'));
  if (me.user && !me.user.anonymous) {
    account.append(
      h('span', { class: 'who', id: 'signed-in-as' }, me.user.email),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'sign-out',
          onclick: async () => {
            await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
            location.assign('/login');
          },
        },
        'Sign out',
      ),
    );
  } else if (page !== 'login') {
    account.append(h('a', { href: '/login', class: 'button secondary' }, 'Sign in'));
  }
}

async function boot() {
  const page = document.body.dataset.page;
  const main = document.getElementById('main');
  let me;
  try {
    me = await api('/api/me');
  } catch (err) {
    document.getElementById('page-loading')?.remove();
    main.append(
      h('p', { class: 'error-text', role: 'alert' }, `The server is not answering: ${err.message}`),
    );
    return;
  }
  setCsrfToken(me.csrfToken);
  renderHeader(me, page);
  document.getElementById('page-loading')?.remove();
  if (page === 'chat') (await import('./chat.js')).renderChat(main, me);
  else if (page === 'library') (await import('./library.js')).renderLibrary(main, me);
  else if (page === 'admin') (await import('./admin.js')).renderAdmin(main, me);
  else if (page === 'login') (await import('./login.js')).renderLogin(main, me);
  else if (page === 'setup') (await import('./setup.js')).renderSetup(main, me);
  document.body.dataset.ready = 'true';
}

boot();

/** The pages the web front end has; each is the same shell, filled in by /static/app.js (client/app.ts). */
export const PAGES = {
  chat: { path: '/', title: 'Chat' },
  library: { path: '/library', title: 'Library' },
  admin: { path: '/admin', title: 'Admin' },
  login: { path: '/login', title: 'Sign in' },
  /** Password, sign out everywhere, deleting one's data. */
  account: { path: '/account', title: 'Account' },
  /** Opened from the one-time link the server prints while no admin exists. */
  setup: { path: '/admin/setup', title: 'Admin setup' },
} as const;

export type PageName = keyof typeof PAGES;

export const APP_NAME = 'Ask the videos';

/** Server-rendered HTML shell: header, landmarks and a no-JS notice; no inline script (strict CSP). */
export function renderShell(page: PageName, assetVersion: string): string {
  const { title } = PAGES[page];
  const v = encodeURIComponent(assetVersion);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${APP_NAME}</title>
<link rel="stylesheet" href="/static/style.css?v=${v}">
<script type="module" src="/static/app.js?v=${v}"></script>
</head>
<body data-page="${page}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <a class="brand" href="/">${APP_NAME}</a>
  <nav aria-label="Main" id="main-nav"></nav>
  <div class="account" id="account"></div>
</header>
<main id="main" tabindex="-1">
  <noscript><p class="notice">This page needs JavaScript. The JSON API under /api works without it.</p></noscript>
  <p class="loading" id="page-loading">Loading…</p>
</main>
</body>
</html>
`;
}

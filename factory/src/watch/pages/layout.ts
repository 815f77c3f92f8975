import { html } from 'hono/html';
import { formatDuration, formatUsd, formatUtc } from '../format.ts';
import type { ShownStatus } from '../timeline.ts';

/** Server-rendered HTML (hono/html escapes every interpolated value; nested html`` stays as is). */
export type Html = ReturnType<typeof html>;

export interface PageOptions {
  title: string;
  /** Which nav entry is the current page. */
  section: 'runs' | 'merges' | 'scoreboard' | 'run';
  /** The JSON endpoint behind this page (linked, and announced as rel=alternate). */
  json: string;
  /** Cache-busting version of the bundled assets. */
  assets: string;
  body: Html;
}

const NAV: { section: PageOptions['section']; href: string; label: string }[] = [
  { section: 'runs', href: '/', label: 'Runs' },
  { section: 'merges', href: '/merges', label: 'Merges & spend' },
  { section: 'scoreboard', href: '/scoreboard', label: 'Scoreboard' },
];

export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title} · watch the factory</title>
<link rel="stylesheet" href="/assets/watch.css?v=${o.assets}">
<link rel="alternate" type="application/json" href="${o.json}">
<script type="module" src="/assets/watch.js?v=${o.assets}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/">dark-factory</a> <span>watch the factory</span></p>
<nav aria-label="Sections"><ul>
${NAV.map(
  (n) =>
    html`<li><a href="${n.href}"${o.section === n.section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
)}
</ul></nav>
</header>
<main id="main">
${o.body}
</main>
<footer class="foot">
<p>Read-only. Everything here is also JSON: <a href="${o.json}">${o.json}</a>. Secrets and the sealed holdout are never shown.</p>
<p class="live-status" role="status" aria-live="polite"></p>
</footer>
</body>
</html>`;
}

const STATUS_TEXT: Record<ShownStatus, string> = {
  running: 'running',
  stalled: 'stalled',
  merged: 'merged',
  rejected: 'rejected',
  'needs-human': 'needs a human',
  blocked: 'blocked',
  failed: 'failed',
};

export function statusBadge(status: ShownStatus): Html {
  return html`<span class="badge status-${status}">${STATUS_TEXT[status]}</span>`;
}

export function stepBadge(status: string): Html {
  return html`<span class="badge step-${status}">${status}</span>`;
}

export function time(iso: string | null): Html {
  return iso ? html`<time datetime="${iso}">${formatUtc(iso)}</time>` : html`—`;
}

export function usd(value: number | null, unpriced = 0): Html {
  return unpriced > 0 && value !== null
    ? html`${formatUsd(value)} <small>(+${unpriced} unpriced)</small>`
    : html`${formatUsd(value)}`;
}

export function duration(ms: number | null, liveSince?: string): Html {
  return liveSince
    ? html`<span data-since="${liveSince}">${formatDuration(ms)}</span>`
    : html`${formatDuration(ms)}`;
}

export function errorPage(o: { status: number; message: string; assets: string }): Html {
  return page({
    title: `Error ${o.status}`,
    section: 'run',
    json: '/api/runs',
    assets: o.assets,
    body: html`<h1>${o.status === 404 ? 'Not found' : 'Cannot show this'}</h1><p class="error">${o.message}</p><p><a href="/">All runs</a></p>`,
  });
}

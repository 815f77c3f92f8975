import { formatTimestamp } from '@dark-factory/kit';
// Tiny DOM helpers. Text always goes in as text nodes, never as HTML.

import type { Citation } from './types.ts';

/** What `h` and `append` take as children: nodes, text, nothing, or lists of them. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handlers = {
  [E in keyof HTMLElementEventMap as `on${E}`]?: (event: HTMLElementEventMap[E]) => unknown;
};
type Attribute = string | number | boolean | null | undefined;

/**
 * `on…` functions become listeners, `class` the class name, `dataset` data attributes; any other
 * non-string value is set as the element's property when it has one (`required`, `rows`), and the
 * rest as attributes. `undefined`, `null` and `false` leave the key out.
 */
export type Props = Handlers & {
  class?: string;
  dataset?: Record<string, string>;
  [attribute: string]: Attribute | Record<string, string> | Handlers[keyof Handlers];
};

/** h('button', { class: 'x', onclick: fn, 'aria-label': 'Close' }, 'text', childNode) */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === 'class') el.className = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append<E extends Element>(el: E, children: readonly Child[]): E {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear<E extends Element>(el: E): E {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** The element with this id, which the shell or the page itself rendered; a missing one is a bug. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** 75 → "1:15", 3675 → "1:01:15": the player's own notation, shared with the server's text. */
export const timestamp = formatTimestamp;

/** The second a citation points at: its link's `t`, which is where the quoted sentence starts. */
export function citedSecond(citation: Pick<Citation, 'url' | 'start'>): number {
  try {
    const t = new URL(citation.url).searchParams.get('t');
    if (t !== null && /^\d+s?$/.test(t)) return Number.parseInt(t, 10);
  } catch {
    // Not a URL: use the start.
  }
  return Math.max(0, Math.floor(citation.start));
}

export function duration(sec: number | null | undefined): string {
  return sec == null ? '' : timestamp(sec);
}

/** Announces a message to screen readers and shows it in `el`. */
export function say(el: HTMLElement, message: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  el.textContent = message;
  el.dataset.kind = kind;
}

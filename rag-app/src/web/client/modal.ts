// The player modal: YouTube embedded at the cited second beside the quoted snippet.
// A real dialog for keyboard users: focus moves in, Tab stays inside, Escape closes, focus returns.

import { h, timestamp } from './dom.ts';

const FOCUSABLE =
  'a[href], button:not([disabled]), iframe, input, textarea, select, [tabindex]:not([tabindex="-1"])';

export function embedUrl(videoId: string, second: number): string {
  return `https://www.youtube-nocookie.com/embed/${encodeURIComponent(videoId)}?start=${Math.max(0, Math.floor(second))}`;
}

export function watchUrl(videoId: string, second: number): string {
  return `https://youtu.be/${encodeURIComponent(videoId)}?t=${Math.max(0, Math.floor(second))}`;
}

export interface Moment {
  videoId: string;
  title: string;
  second: number;
  /** The quoted words, shown beside the player. */
  text?: string;
}

/** Opens the player; `opener` (the control that opened it) gets the focus back on close. */
export function openPlayer(
  { videoId, title, second, text }: Moment,
  opener?: EventTarget | null,
): { close: () => void; dialog: HTMLElement } {
  const background = [...document.body.children].filter((el) => el instanceof HTMLElement);
  const titleId = 'player-title';
  const close = () => {
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('focusin', onFocusIn, true);
    for (const el of background) el.inert = false;
    if (opener instanceof HTMLElement) opener.focus();
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      const list = items();
      if (list.length === 0) return;
      const first = list[0]!;
      const last = list[list.length - 1]!;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  };
  const closeButton = h(
    'button',
    { type: 'button', class: 'modal-close', onclick: close, 'aria-label': 'Close the player' },
    '×',
  );
  const dialog = h(
    'div',
    { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h('div', { class: 'modal-head' }, h('h2', { id: titleId }, title), closeButton),
    h(
      'div',
      { class: 'modal-body' },
      h(
        'div',
        { class: 'player' },
        h('iframe', {
          src: embedUrl(videoId, second),
          title: `YouTube player: ${title}, from ${timestamp(second)}`,
          allow: 'encrypted-media; picture-in-picture; fullscreen',
          allowfullscreen: true,
          referrerpolicy: 'strict-origin-when-cross-origin',
        }),
      ),
      h(
        'div',
        { class: 'modal-snippet' },
        h('p', { class: 'modal-time' }, `At ${timestamp(second)}`),
        text ? h('blockquote', {}, text) : null,
        h(
          'a',
          {
            href: watchUrl(videoId, second),
            target: '_blank',
            rel: 'noopener noreferrer',
            class: 'watch-link',
          },
          `Open on YouTube at ${timestamp(second)}`,
        ),
      ),
    ),
  );
  const backdrop: HTMLDivElement = h('div', {
    class: 'modal-backdrop',
    onclick: (event) => {
      if (event.target === backdrop) close();
    },
  });
  // Focus that leaves the player iframe (a cross-origin document: our keydown handler never sees
  // its Tab presses) lands on a sentinel and is sent back inside, so it can never escape.
  const sentinel = (target: () => HTMLElement) =>
    h('span', {
      tabindex: '0',
      class: 'focus-sentinel',
      'aria-hidden': 'true',
      onfocus: () => target().focus(),
    });
  const items = (): HTMLElement[] =>
    [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => !el.classList.contains('focus-sentinel'),
    );
  dialog.prepend(sentinel(() => items().at(-1) ?? closeButton));
  dialog.append(sentinel(() => closeButton));
  const onFocusIn = (event: FocusEvent) => {
    if (!(event.target instanceof Node) || !dialog.contains(event.target)) closeButton.focus();
  };
  backdrop.append(dialog);
  for (const el of background) el.inert = true;
  document.body.append(backdrop);
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('focusin', onFocusIn, true);
  closeButton.focus();
  return { close, dialog };
}

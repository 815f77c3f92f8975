// The library: every video, searchable, with its transcript a click away.

import { api, reason } from './api.ts';
import { clear, duration, h, timestamp } from './dom.ts';
import { openPlayer } from './modal.ts';

const PAGE = 20;

export function renderLibrary(main: HTMLElement): void {
  const state = { q: '', offset: 0 };
  const input = h('input', { id: 'video-search', type: 'search', placeholder: 'Title words, e.g. n8n' });
  const list = h('ul', { class: 'video-list', id: 'video-list' });
  const summary = h('p', { class: 'muted', role: 'status' });
  const pager = h('div', { class: 'row pager' });
  const detail = h('section', { class: 'video-detail', id: 'video-detail', 'aria-live': 'polite' });

  main.append(
    h(
      'div',
      { class: 'library' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'library-title' },
        h('h1', { id: 'library-title' }, 'Library'),
        h(
          'form',
          {
            role: 'search',
            onsubmit: (event) => {
              event.preventDefault();
              state.q = input.value.trim();
              state.offset = 0;
              load();
            },
          },
          h('label', { for: 'video-search' }, 'Search videos'),
          h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Search')),
        ),
        summary,
        list,
        pager,
      ),
      detail,
    ),
  );

  async function load() {
    summary.textContent = 'Loading…';
    try {
      const page = await api.videos({ q: state.q, limit: PAGE, offset: state.offset });
      clear(list);
      for (const v of page.videos) {
        list.append(
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'video-open',
                onclick: (event) => showVideo(v.videoId, event.currentTarget),
              },
              h('span', { class: 'video-title' }, v.title),
              h(
                'span',
                { class: 'muted' },
                [v.published, duration(v.durationSec), `${v.chunks} passages`].filter(Boolean).join(' · '),
              ),
            ),
          ),
        );
      }
      const to = state.offset + page.videos.length;
      summary.textContent =
        page.total === 0
          ? state.q
            ? `No video matches “${state.q}”.`
            : 'The library is empty.'
          : `Videos ${state.offset + 1}–${to} of ${page.total}${state.q ? ` matching “${state.q}”` : ''}`;
      clear(pager);
      if (state.offset > 0) {
        pager.append(
          h('button', { type: 'button', class: 'secondary', onclick: () => go(-PAGE) }, 'Previous'),
        );
      }
      if (to < page.total)
        pager.append(h('button', { type: 'button', class: 'secondary', onclick: () => go(PAGE) }, 'Next'));
    } catch (err) {
      summary.textContent = `Could not load the library: ${reason(err)}`;
    }
  }

  function go(delta: number): void {
    state.offset = Math.max(0, state.offset + delta);
    load();
  }

  async function showVideo(id: string, opener: EventTarget | null): Promise<void> {
    clear(detail).append(h('p', { class: 'muted' }, 'Loading the transcript…'));
    try {
      const video = await api.video(id);
      clear(detail).append(
        h('h2', { tabindex: '-1', id: 'video-title' }, video.title),
        h(
          'p',
          { class: 'muted' },
          [video.published, duration(video.durationSec)].filter(Boolean).join(' · '),
          ' · ',
          h('a', { href: video.url, target: '_blank', rel: 'noopener noreferrer' }, 'Watch on YouTube'),
        ),
        h(
          'ol',
          { class: 'segments' },
          video.segments.map((s) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'segment-time',
                  'aria-label': `Play from ${timestamp(s.start)}`,
                  onclick: (event) =>
                    openPlayer(
                      { videoId: video.videoId, title: video.title, second: s.start, text: s.text },
                      event.currentTarget,
                    ),
                },
                timestamp(s.start),
              ),
              h('span', {}, s.text),
            ),
          ),
        ),
      );
      detail.querySelector('h2')?.focus();
    } catch (err) {
      clear(detail).append(
        h('p', { class: 'error-text', role: 'alert' }, `Could not load the video: ${reason(err)}`),
      );
      if (opener instanceof HTMLElement) opener.focus();
    }
  }

  load();
}

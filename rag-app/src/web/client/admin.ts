// The admin page: library status, add / remove / re-sync videos, sync runs.

import { api, reason } from './api.ts';
import { clear, h } from './dom.ts';
import type { IngestSummary, Me } from './types.ts';

export function renderAdmin(main: HTMLElement, me: Me): void {
  if (!me.user?.isAdmin) {
    main.append(
      h(
        'section',
        { class: 'panel narrow' },
        h('h1', {}, 'Admin'),
        h('p', {}, me.user ? 'Only an admin can see this page.' : 'Sign in as an admin to see this page.'),
      ),
    );
    return;
  }

  const stats = h('dl', { class: 'stats', id: 'admin-stats' });
  const runs = h('tbody', { id: 'sync-runs' });
  const status = h('p', { role: 'status', id: 'admin-status' });
  const refInput = h('input', {
    id: 'video-ref',
    required: true,
    placeholder: 'dQw4w9WgXcQ or https://youtu.be/…',
  });
  const videoSearch = h('input', { id: 'admin-video-search', type: 'search' });
  const videos = h('ul', { class: 'admin-videos', id: 'admin-videos' });

  const busy = async (label: string, fn: () => Promise<string>): Promise<void> => {
    status.textContent = `${label}…`;
    status.dataset.kind = 'info';
    try {
      const message = await fn();
      status.textContent = message;
    } catch (err) {
      status.textContent = `${label} failed: ${reason(err)}`;
      status.dataset.kind = 'error';
    }
    await Promise.all([refresh(), loadVideos()]);
  };

  const describe = (summary: Partial<IngestSummary>): string => {
    const why = summary.items?.find((i) => i.reason)?.reason;
    return (
      `${summary.added} added, ${summary.updated} updated, ${summary.skipped} unchanged, ${summary.failed} failed` +
      (why ? ` (${why})` : '')
    );
  };

  main.append(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'admin-title' },
      h('h1', { id: 'admin-title' }, 'Admin'),
      stats,
      status,
      h(
        'form',
        {
          class: 'add-video',
          onsubmit: (event) => {
            event.preventDefault();
            const ref = refInput.value.trim();
            busy(`Adding ${ref}`, async () => {
              const { summary } = await api.addVideo({ ref });
              refInput.value = '';
              return describe(summary);
            });
          },
        },
        h('label', { for: 'video-ref' }, 'Add a video (YouTube id or url)'),
        h('div', { class: 'row' }, refInput, h('button', { type: 'submit' }, 'Add')),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'resync-all',
          onclick: () =>
            busy('Starting a full re-sync', async () => {
              const { runId } = await api.resyncAll();
              return `Re-sync started (run ${runId}); its progress shows below.`;
            }),
        },
        'Re-sync all',
      ),
      h('h2', {}, 'Sync runs'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Run', 'Trigger', 'Status', 'Started', 'Result'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          runs,
        ),
      ),
      h('h2', {}, 'Videos'),
      h(
        'form',
        {
          role: 'search',
          onsubmit: (event) => {
            event.preventDefault();
            loadVideos();
          },
        },
        h('label', { for: 'admin-video-search' }, 'Find a video'),
        h('div', { class: 'row' }, videoSearch, h('button', { type: 'submit', class: 'secondary' }, 'Find')),
      ),
      videos,
    ),
  );

  async function refresh(): Promise<void> {
    try {
      const s = await api.adminStatus();
      clear(stats).append(
        h('div', {}, h('dt', {}, 'Videos'), h('dd', {}, String(s.stats.videos))),
        h('div', {}, h('dt', {}, 'Passages'), h('dd', {}, String(s.stats.chunks))),
        h(
          'div',
          {},
          h('dt', {}, 'Ingestion'),
          h(
            'dd',
            {},
            s.sync.lease ? `running since ${new Date(s.sync.lease.acquiredAt).toLocaleTimeString()}` : 'idle',
          ),
        ),
        h(
          'div',
          {},
          h('dt', {}, 'Scheduled sync'),
          h(
            'dd',
            {},
            s.schedule.intervalMinutes > 0
              ? `every ${s.schedule.intervalMinutes} min, ${s.schedule.refs.length} sources`
              : 'off',
          ),
        ),
      );
      clear(runs);
      for (const r of s.sync.runs) {
        const result =
          r.error ??
          (r.summary?.added !== undefined
            ? describe(r.summary)
            : r.summary?.done !== undefined
              ? `${r.summary.done} done so far`
              : '');
        runs.append(
          h(
            'tr',
            {},
            [String(r.id), r.trigger, r.status, new Date(r.startedAt).toLocaleString(), result].map((t) =>
              h('td', {}, t),
            ),
          ),
        );
      }
      if (s.sync.lease) setTimeout(refresh, 3000);
    } catch (err) {
      status.textContent = `Could not load the status: ${reason(err)}`;
    }
  }

  async function loadVideos(): Promise<void> {
    const q = videoSearch.value.trim();
    try {
      const page = await api.videos({ q, limit: 50 });
      clear(videos);
      for (const v of page.videos) {
        videos.append(
          h(
            'li',
            {},
            h('span', { class: 'video-title' }, v.title, ' ', h('code', {}, v.videoId)),
            h(
              'span',
              { class: 'row' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Re-sync ${v.title}`,
                  onclick: () =>
                    busy(`Re-syncing ${v.videoId}`, async () => {
                      const { summary } = await api.resyncVideo({ videoId: v.videoId });
                      return describe(summary);
                    }),
                },
                'Re-sync',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Remove ${v.title}`,
                  onclick: () => {
                    if (!window.confirm(`Remove “${v.title}” from the library?`)) return;
                    busy(`Removing ${v.videoId}`, async () => {
                      await api.removeVideo(v.videoId);
                      return `Removed ${v.title}.`;
                    });
                  },
                },
                'Remove',
              ),
            ),
          ),
        );
      }
      if (page.total > page.videos.length)
        videos.append(
          h('li', { class: 'muted' }, `…and ${page.total - page.videos.length} more; search to narrow.`),
        );
    } catch (err) {
      clear(videos).append(h('li', { class: 'error-text', role: 'alert' }, reason(err)));
    }
  }

  refresh();
  loadVideos();
}

import { InputError, RagError } from '../errors.ts';
import { type FetchFn, fetchPage } from './youtube-page.ts';

const CHANNEL_TABS = new Set(['videos', 'streams', 'shorts']);

/**
 * The page that lists a playlist's or channel's videos: `/playlist?list=…` (also from a
 * `watch?v=…&list=…` URL), or a channel (`/@handle`, `/channel/UC…`, `/c/…`, `/user/…`) whose
 * videos tab is used unless a tab (videos, streams, shorts) is given.
 */
export function playlistPageUrl(ref: string): string {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(ref.trim()) ? ref.trim() : `https://${ref.trim()}`);
  } catch {
    throw new InputError(`not a URL: '${ref}'`, { ref });
  }
  if (!/^(www\.|m\.)?youtube\.com$/i.test(url.hostname)) {
    throw new InputError(`not a youtube.com playlist or channel URL: '${ref}'`, { ref });
  }
  const list = url.searchParams.get('list');
  if (list && /^[A-Za-z0-9_-]+$/.test(list)) return `https://www.youtube.com/playlist?list=${list}`;
  const parts = url.pathname.split('/').filter(Boolean);
  const [first, second, third] = parts;
  let channel: string | null = null;
  let tab: string | undefined;
  if (first?.startsWith('@')) [channel, tab] = [first, second];
  else if ((first === 'channel' || first === 'c' || first === 'user') && second)
    [channel, tab] = [`${first}/${second}`, third];
  if (channel === null || (tab !== undefined && !CHANNEL_TABS.has(tab))) {
    throw new InputError(
      `'${ref}' is not a playlist (…/playlist?list=ID) or channel (…/@handle, …/channel/UC…) URL`,
      { ref },
    );
  }
  return `https://www.youtube.com/${channel}/${tab ?? 'videos'}`;
}

/** Every distinct `"videoId":"…"` in a page, in order of first appearance. */
export function scrapeVideoIds(html: string): string[] {
  const ids = new Set<string>();
  for (const m of html.matchAll(/"videoId":"([A-Za-z0-9_-]{11})"/g)) ids.add(m[1]!);
  return [...ids];
}

/**
 * Lists the video ids of a playlist or channel by scraping its page (fetched through `fetch`).
 * Limits: only what the first page embeds (about 100 playlist entries, about 30 channel videos;
 * the rest needs YouTube's continuation API), and a channel page may also mention featured
 * videos. Throws RagError when the page cannot be fetched or lists no video.
 */
export async function listPlaylistVideoIds(
  ref: string,
  opts: { fetch?: FetchFn; timeoutMs?: number } = {},
): Promise<string[]> {
  const pageUrl = playlistPageUrl(ref);
  const ids = scrapeVideoIds(
    await fetchPage(pageUrl, opts.fetch ?? globalThis.fetch, undefined, opts.timeoutMs),
  );
  if (ids.length === 0) {
    throw new RagError(
      'youtube_no_videos',
      `no video ids on ${pageUrl}: the playlist may be private or empty, or YouTube served a consent or changed page`,
      { url: pageUrl },
    );
  }
  return ids;
}

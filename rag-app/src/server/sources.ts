import { errorMessage } from '../errors.ts';
import { corpusSource, listPlaylistVideoIds, parseVideoRef, youtubeSource } from '../ingest/sources.ts';
import type { FetchFn } from '../ingest/youtube-page.ts';
import type { SourceItem } from '../types.ts';
import type { SourceFactory } from './context.ts';

/**
 * Expands each ref: a video id or url stays as it is; a playlist or channel url becomes its
 * videos (how the scheduled sync picks up new uploads). A ref that is neither becomes a failed item.
 */
async function* youtubeRefs(refs: string[], fetch: FetchFn | undefined): AsyncGenerator<SourceItem> {
  const ids: string[] = [];
  for (const ref of refs) {
    try {
      ids.push(parseVideoRef(ref));
      continue;
    } catch {
      // Not a single video: maybe a playlist or a channel.
    }
    try {
      ids.push(...(await listPlaylistVideoIds(ref, fetch ? { fetch } : {})));
    } catch (err) {
      yield { ref, ok: false, error: errorMessage(err) };
    }
  }
  yield* youtubeSource(ids, fetch ? { fetch } : {});
}

/** The production sources: YouTube (videos, playlists, channels) and transcript directories. */
export function defaultSources(options: { fetch?: FetchFn } = {}): SourceFactory {
  return {
    youtube: (refs) => youtubeRefs(refs, options.fetch),
    corpus: (dir) => corpusSource(dir),
  };
}

import { errorMessage } from '../errors.ts';
import { corpusSource, listPlaylistVideoIds, parseVideoRef, youtubeSource } from '../ingest/sources.ts';
import type { FetchFn } from '../ingest/youtube-page.ts';
import type { SourceItem } from '../types.ts';

export type ItemStream = AsyncIterable<SourceItem> | Iterable<SourceItem>;

/** Where admin ingestion and the scheduled sync read videos from (src/ingest/sources.ts in production). */
export interface SourceFactory {
  /** YouTube video ids, watch/short urls, or whatever else the YouTube source accepts. */
  youtube(refs: string[]): ItemStream;
  /** A directory of transcript files in the shared corpus format. */
  corpus(dir: string): ItemStream;
}

/**
 * Expands each ref: a video id or url stays as it is; a playlist or channel url becomes its
 * videos (how the scheduled sync picks up new uploads). A ref that is neither becomes a failed item.
 */
interface FetchOptions {
  fetch?: FetchFn;
  /** Each request's deadline (FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
}

async function* youtubeRefs(refs: string[], options: FetchOptions): AsyncGenerator<SourceItem> {
  const ids: string[] = [];
  for (const ref of refs) {
    try {
      ids.push(parseVideoRef(ref));
      continue;
    } catch {
      // Not a single video: maybe a playlist or a channel.
    }
    try {
      ids.push(...(await listPlaylistVideoIds(ref, options)));
    } catch (err) {
      yield { ref, ok: false, error: errorMessage(err) };
    }
  }
  yield* youtubeSource(ids, options);
}

/** The production sources: YouTube (videos, playlists, channels) and transcript directories. */
export function defaultSources(options: FetchOptions = {}): SourceFactory {
  return {
    youtube: (refs) => youtubeRefs(refs, options),
    corpus: (dir) => corpusSource(dir),
  };
}

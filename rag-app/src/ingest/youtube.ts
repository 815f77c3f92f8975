import {
  fetchTranscript,
  YoutubeTranscriptDisabledError,
  YoutubeTranscriptError,
  YoutubeTranscriptNotAvailableError,
  YoutubeTranscriptNotAvailableLanguageError,
  YoutubeTranscriptTooManyRequestError,
  YoutubeTranscriptVideoUnavailableError,
} from 'youtube-transcript';
import { errorMessage, RagError } from '../errors.ts';
import { logger } from '../log.ts';
import type { SourceItem, Transcript } from '../types.ts';
import { watchUrl } from '../types.ts';
import { timedItemsToSegments } from './json.ts';
import { parseVideoRef } from './video-ref.ts';
import {
  DEFAULT_FETCH_TIMEOUT_MS,
  type FetchFn,
  fetchPage,
  parseWatchPageMeta,
  timedFetch,
  type WatchPageMeta,
} from './youtube-page.ts';

const log = logger.child({ module: 'ingest.youtube' });

export interface YoutubeSourceOptions {
  /** Used for every request (transcript and watch page); defaults to the global fetch. */
  fetch?: FetchFn;
  /** Caption language code (e.g. 'en'); default: the video's first caption track. */
  lang?: string;
  /** Fetch the watch page for title, date and length (default true); else the title is the id. */
  metadata?: boolean;
  /** Each request's deadline, body included (default DEFAULT_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** The package's errors as one readable line each; anything else is a network or parse failure. */
export function describeYoutubeError(err: unknown, videoId: string, lang?: string): string {
  if (err instanceof YoutubeTranscriptDisabledError) return `transcripts are disabled for video ${videoId}`;
  if (err instanceof YoutubeTranscriptVideoUnavailableError) {
    return `video ${videoId} is unavailable (removed, private, or a wrong id)`;
  }
  if (err instanceof YoutubeTranscriptTooManyRequestError) {
    return `YouTube is rate-limiting this IP (it asks for a captcha); retry later, or ingest caption files instead (video ${videoId})`;
  }
  if (err instanceof YoutubeTranscriptNotAvailableLanguageError) {
    const available = /Available languages: (.*)$/.exec(err.message)?.[1] ?? 'unknown';
    return `video ${videoId} has no '${lang ?? '?'}' transcript (available: ${available})`;
  }
  if (err instanceof YoutubeTranscriptNotAvailableError)
    return `no transcript can be downloaded for video ${videoId}`;
  if (err instanceof YoutubeTranscriptError)
    return `video ${videoId}: ${err.message.replace(/^\[YoutubeTranscript\] \S+ /, '')}`;
  if (err instanceof RagError) return `video ${videoId}: ${err.message}`;
  return `fetching the transcript of video ${videoId} failed: ${errorMessage(err)}`;
}

async function fetchMeta(
  videoId: string,
  fetchFn: FetchFn,
  lang: string | undefined,
  timeoutMs: number,
): Promise<WatchPageMeta> {
  try {
    return parseWatchPageMeta(await fetchPage(watchUrl(videoId), fetchFn, lang, timeoutMs));
  } catch (err) {
    // Metadata is a nicety: the transcript is what matters, so fall back to the id as title.
    log.warn({ videoId, err: errorMessage(err) }, 'watch page unavailable; using the video id as title');
    return { title: null, published: null, durationSec: null };
  }
}

/** Downloads one video's transcript (and, unless disabled, its title/date/length). Throws on failure. */
export async function fetchYoutubeTranscript(
  videoId: string,
  opts: YoutubeSourceOptions = {},
): Promise<Transcript> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const items = await fetchTranscript(videoId, {
    fetch: timedFetch(fetchFn, timeoutMs),
    ...(opts.lang ? { lang: opts.lang } : {}),
  });
  const segments = timedItemsToSegments(items);
  if (segments.length === 0) throw new RagError('transcript_empty', 'the transcript is empty', { videoId });
  const meta =
    opts.metadata === false
      ? { title: null, published: null, durationSec: null }
      : await fetchMeta(videoId, fetchFn, opts.lang, timeoutMs);
  return {
    videoId,
    title: meta.title ?? videoId,
    url: watchUrl(videoId),
    published: meta.published,
    durationSec: meta.durationSec,
    source: 'youtube',
    segments,
  };
}

/**
 * Transcripts of YouTube videos, one item per ref (id or URL), in order. A bad ref, a video
 * without captions or a blocked request becomes a failed item with a readable reason; the others
 * still run. Repeated ids are fetched once.
 */
export async function* youtubeSource(
  refs: Iterable<string> | AsyncIterable<string>,
  opts: YoutubeSourceOptions = {},
): AsyncGenerator<SourceItem> {
  const seen = new Set<string>();
  for await (const ref of refs) {
    let videoId: string;
    try {
      videoId = parseVideoRef(ref);
    } catch (err) {
      yield { ref, ok: false, error: errorMessage(err) };
      continue;
    }
    if (seen.has(videoId)) {
      log.debug({ ref, videoId }, 'skipping a repeated video');
      continue;
    }
    seen.add(videoId);
    let item: SourceItem;
    try {
      item = { ref, ok: true, transcript: await fetchYoutubeTranscript(videoId, opts) };
    } catch (err) {
      item = { ref, ok: false, error: describeYoutubeError(err, videoId, opts.lang) };
    }
    log.debug({ ref, videoId, ok: item.ok }, 'youtube transcript');
    yield item;
  }
}

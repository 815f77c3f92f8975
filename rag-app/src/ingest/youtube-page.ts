import { z } from 'zod';
import { RagError } from '../errors.ts';
import { decodeEntities, normaliseWhitespace } from './text.ts';

export type FetchFn = typeof globalThis.fetch;

/**
 * Headers for our own page requests. The SOCS/CONSENT cookies skip the EU consent interstitial,
 * which otherwise replaces the page (and its inline JSON) for requests from Europe.
 */
export function pageHeaders(lang?: string): Record<string, string> {
  return {
    'Accept-Language': lang ? `${lang},en;q=0.5` : 'en-US,en;q=0.9',
    'User-Agent':
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    Cookie: 'SOCS=CAI; CONSENT=YES+cb',
  };
}

/** Every request to YouTube gives up after this long (FETCH_TIMEOUT_MS); undici's own default is 300 s. */
export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

/**
 * `fetchFn` with a deadline on the whole exchange, body included: a server that accepts the
 * connection and never answers fails in `timeoutMs`, with a RagError('fetch_timeout') naming the URL.
 */
export function timedFetch(fetchFn: FetchFn, timeoutMs: number = DEFAULT_FETCH_TIMEOUT_MS): FetchFn {
  return async (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const url = input instanceof Request ? input.url : String(input);
    const timedOut = (cause: unknown) =>
      new RagError(
        'fetch_timeout',
        `no answer from ${url} within ${timeoutMs} ms`,
        { url, timeoutMs },
        { cause },
      );
    try {
      // The signal also aborts reading the body: a body that never ends fails the same way.
      return await fetchFn(input, { ...init, signal });
    } catch (err) {
      throw timeout.aborted ? timedOut(err) : err;
    }
  };
}

/** GETs a YouTube page as text; throws RagError('youtube_fetch_failed') on a network or HTTP error. */
export async function fetchPage(
  url: string,
  fetchFn: FetchFn,
  lang?: string,
  timeoutMs: number = DEFAULT_FETCH_TIMEOUT_MS,
): Promise<string> {
  let res: Response;
  const timed = timedFetch(fetchFn, timeoutMs);
  try {
    res = await timed(url, { headers: pageHeaders(lang) });
  } catch (err) {
    throw new RagError(
      'youtube_fetch_failed',
      `cannot reach ${url}: ${(err as Error).message}`,
      { url },
      { cause: err },
    );
  }
  if (!res.ok)
    throw new RagError('youtube_fetch_failed', `${url} answered HTTP ${res.status}`, {
      url,
      status: res.status,
    });
  try {
    return await res.text();
  } catch (err) {
    throw new RagError(
      'youtube_fetch_failed',
      `reading ${url} failed: ${(err as Error).message}`,
      { url },
      { cause: err },
    );
  }
}

/**
 * The JSON object assigned to `name` in an inline script (`var ytInitialPlayerResponse = {...};`).
 * Braces are matched outside string literals, so titles containing `{` or `}` do not cut it short.
 */
export function extractInlineJson(html: string, name: string): unknown {
  const at = html.search(new RegExp(`\\b${name}\\s*=\\s*\\{`));
  if (at === -1) return null;
  const start = html.indexOf('{', at);
  let depth = 0;
  let inString = false;
  for (let i = start; i < html.length; i++) {
    const c = html[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return JSON.parse(html.slice(start, i + 1));
      } catch {
        return null;
      }
    }
  }
  return null;
}

const playerResponseSchema = z.object({
  videoDetails: z
    .object({ title: z.string().optional(), lengthSeconds: z.string().regex(/^\d+$/).optional() })
    .optional(),
  microformat: z
    .object({
      playerMicroformatRenderer: z
        .object({ publishDate: z.string().optional(), uploadDate: z.string().optional() })
        .optional(),
    })
    .optional(),
});

export interface WatchPageMeta {
  title: string | null;
  published: string | null;
  durationSec: number | null;
}

/** Title, publish date and length from a watch page: the inline player response, else `<title>`. */
export function parseWatchPageMeta(html: string): WatchPageMeta {
  const player = playerResponseSchema.safeParse(extractInlineJson(html, 'ytInitialPlayerResponse'));
  const details = player.success ? player.data.videoDetails : undefined;
  const micro = player.success ? player.data.microformat?.playerMicroformatRenderer : undefined;
  const date = micro?.publishDate ?? micro?.uploadDate;
  let title = details?.title ?? null;
  if (!title) {
    const tag = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
    const cleaned = tag === undefined ? '' : decodeEntities(tag).replace(/\s*-\s*YouTube\s*$/, '');
    // A bare "YouTube" title is the consent or error page, not the video's.
    title = cleaned.trim() && cleaned.trim() !== 'YouTube' ? cleaned : null;
  }
  return {
    title: title ? normaliseWhitespace(title) : null,
    published: date && /^\d{4}-\d{2}-\d{2}/.test(date) ? date.slice(0, 10) : null,
    durationSec: details?.lengthSeconds ? Number(details.lengthSeconds) : null,
  };
}

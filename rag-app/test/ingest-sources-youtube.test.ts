import { type LocalServer, readBody, serveHttp } from '@dark-factory/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listPlaylistVideoIds } from '../src/ingest/playlist.ts';
import { youtubeSource } from '../src/ingest/youtube.ts';
import { collect } from './fixtures/ingest/support.ts';

/**
 * A local stand-in for youtube.com serving the shapes youtube-transcript 1.3.1 requests: the
 * InnerTube player API (POST /youtubei/v1/player), the watch page with its inline
 * ytInitialPlayerResponse (its fallback, and our metadata source), and caption tracks in srv3
 * (<p t="ms" d="ms"><s>…</s></p>) or classic (<text start="s" dur="s">) XML.
 */
interface FakeVideo {
  /** What the InnerTube player API answers. */
  innertube: 'tracks' | 'no-captions' | 'http-error';
  /** What the watch page holds. */
  page: 'tracks' | 'no-captions' | 'unavailable' | 'captcha' | 'http-error';
  format: 'srv3' | 'classic';
  langs: string[];
  title?: string;
  publishDate?: string;
  lengthSeconds?: string;
}

const SRV3 = `<?xml version="1.0" encoding="utf-8" ?><timedtext format="3">
<body>
<p t="160" d="4080" w="1"><s ac="0">so</s><s t="320" ac="0"> today</s><s t="640" ac="0"> we&#39;re</s></p>
<p t="2240" d="3000" w="1" a="1">
</p>
<p t="4240" d="2960" w="1"><s ac="0">building</s><s t="400" ac="0"> agents</s></p>
<p t="7200" d="2000" w="1"><s ac="0">with &amp;amp; care</s></p>
</body>
</timedtext>`;

const CLASSIC = `<?xml version="1.0" encoding="utf-8" ?><transcript><text start="0.5" dur="2.1">it&amp;#39;s the fallback path</text><text start="2.6" dur="3.4">with classic   captions</text></transcript>`;

const VIDEOS: Record<string, FakeVideo> = {
  innerTube01: {
    innertube: 'tracks',
    page: 'tracks',
    format: 'srv3',
    langs: ['en', 'de'],
    title: 'Agents {part 1} & more',
    publishDate: '2024-11-20T06:00:00-08:00',
    lengthSeconds: '612',
  },
  webPage0002: {
    innertube: 'no-captions',
    page: 'tracks',
    format: 'classic',
    langs: ['en'],
    title: 'Web page path',
  },
  disabled003: { innertube: 'no-captions', page: 'no-captions', format: 'srv3', langs: [] },
  gone0000004: { innertube: 'http-error', page: 'unavailable', format: 'srv3', langs: [] },
  german00005: { innertube: 'tracks', page: 'tracks', format: 'srv3', langs: ['de'], title: 'Nur Deutsch' },
  captcha0006: { innertube: 'http-error', page: 'captcha', format: 'srv3', langs: [] },
  noMeta00007: { innertube: 'tracks', page: 'http-error', format: 'classic', langs: ['en'] },
};

function playerResponse(id: string, v: FakeVideo, withCaptions: boolean) {
  return {
    responseContext: {},
    playabilityStatus: { status: 'OK', playableInEmbed: true },
    ...(withCaptions && {
      captions: {
        playerCaptionsTracklistRenderer: {
          captionTracks: v.langs.map((lang) => ({
            baseUrl: `https://www.youtube.com/api/timedtext?v=${id}&caps=asr&lang=${lang}&fmt=${v.format}`,
            name: { runs: [{ text: lang }] },
            vssId: `a.${lang}`,
            languageCode: lang,
            kind: 'asr',
          })),
        },
      },
    }),
    videoDetails: {
      videoId: id,
      title: v.title ?? id,
      lengthSeconds: v.lengthSeconds ?? '60',
      author: 'Test',
    },
    ...(v.publishDate && {
      microformat: { playerMicroformatRenderer: { publishDate: v.publishDate, uploadDate: v.publishDate } },
    }),
  };
}

function watchPage(id: string, v: FakeVideo): string {
  if (v.page === 'captcha')
    return '<html><body><form><div class="g-recaptcha" data-sitekey="x"></div></form></body></html>';
  if (v.page === 'unavailable')
    return '<html><head><title>YouTube</title></head><body>Video unavailable</body></html>';
  // YouTube escapes & as \u0026 inside inline JSON.
  const json = JSON.stringify(playerResponse(id, v, v.page === 'tracks')).replace(/&/g, '\\u0026');
  const title = (v.title ?? id).replace(/&/g, '&amp;');
  return `<!DOCTYPE html><html><head><title>${title} - YouTube</title></head><body><script nonce="n">var ytInitialPlayerResponse = ${json};var meta = document.createElement('meta');</script></body></html>`;
}

interface Seen {
  method: string;
  path: string;
  body: string;
}

let server: LocalServer;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = await serveHttp(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readBody(req);
    seen.push({ method: req.method ?? '', path: url.pathname + url.search, body });
    const send = (status: number, type: string, text: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    if (req.method === 'POST' && url.pathname === '/youtubei/v1/player') {
      const { videoId } = JSON.parse(body) as { videoId: string };
      const v = VIDEOS[videoId];
      if (!v || v.innertube === 'http-error') return send(400, 'application/json', '{"error":{"code":400}}');
      return send(
        200,
        'application/json',
        JSON.stringify(playerResponse(videoId, v, v.innertube === 'tracks')),
      );
    }
    if (url.pathname === '/watch') {
      const id = url.searchParams.get('v') ?? '';
      const v = VIDEOS[id];
      if (!v || v.page === 'http-error') return send(500, 'text/html', '<html>oops</html>');
      return send(200, 'text/html; charset=utf-8', watchPage(id, v));
    }
    if (url.pathname === '/api/timedtext') {
      const v = VIDEOS[url.searchParams.get('v') ?? ''];
      if (!v) return send(404, 'text/plain', '');
      return send(200, 'text/xml; charset=UTF-8', v.format === 'srv3' ? SRV3 : CLASSIC);
    }
    if (url.pathname === '/playlist' && url.searchParams.get('list') === 'PLtest') {
      const data = {
        contents: [
          { playlistVideoRenderer: { videoId: 'innerTube01' } },
          { playlistVideoRenderer: { videoId: 'webPage0002' } },
          { playlistVideoRenderer: { videoId: 'disabled003' } },
          { playlistVideoRenderer: { videoId: 'innerTube01', navigationEndpoint: { watchEndpoint: {} } } },
        ],
      };
      return send(
        200,
        'text/html',
        `<html><script>var ytInitialData = ${JSON.stringify(data)};</script></html>`,
      );
    }
    if (url.pathname === '/@empty/videos') return send(200, 'text/html', '<html>no videos here</html>');
    return send(404, 'text/plain', 'not found');
  });
  base = server.url;
});

afterAll(() => server?.close());

beforeEach(() => {
  seen.length = 0;
});

/** The real global fetch, with youtube.com sent to the local server instead. */
const localFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.hostname !== 'youtube.com' && !url.hostname.endsWith('.youtube.com')) {
    return Promise.reject(new Error(`unexpected request to ${url.href}`));
  }
  return fetch(`${base}${url.pathname}${url.search}`, init);
};

describe('youtubeSource against a local YouTube', () => {
  it('fetches transcripts by either path, in seconds, with watch-page metadata; failures are items', async () => {
    const items = await collect(
      youtubeSource(
        [
          'https://www.youtube.com/watch?v=innerTube01',
          'https://youtu.be/webPage0002',
          'disabled003',
          'gone0000004',
          'captcha0006',
          'not a video',
          'innerTube01',
          'https://www.youtube.com/shorts/noMeta00007',
        ],
        { fetch: localFetch },
      ),
    );
    expect(items.map((i) => [i.ref, i.ok])).toEqual([
      ['https://www.youtube.com/watch?v=innerTube01', true],
      ['https://youtu.be/webPage0002', true],
      ['disabled003', false],
      ['gone0000004', false],
      ['captcha0006', false],
      ['not a video', false],
      ['https://www.youtube.com/shorts/noMeta00007', true],
    ]);

    // InnerTube path, srv3 milliseconds -> seconds; the doubly escaped '&amp;amp;' decoded.
    expect(items[0]).toEqual({
      ref: 'https://www.youtube.com/watch?v=innerTube01',
      ok: true,
      transcript: {
        videoId: 'innerTube01',
        title: 'Agents {part 1} & more',
        url: 'https://www.youtube.com/watch?v=innerTube01',
        published: '2024-11-20',
        durationSec: 612,
        source: 'youtube',
        segments: [
          { start: 0.16, end: 4.24, text: "so today we're" },
          { start: 4.24, end: 7.2, text: 'building agents' },
          { start: 7.2, end: 9.2, text: 'with & care' },
        ],
      },
    });
    // Watch-page fallback path, classic XML in seconds.
    expect(items[1]).toMatchObject({
      transcript: {
        videoId: 'webPage0002',
        title: 'Web page path',
        published: null,
        durationSec: 60,
        segments: [
          { start: 0.5, end: 2.6, text: "it's the fallback path" },
          { start: 2.6, end: 6, text: 'with classic captions' },
        ],
      },
    });
    expect(items.slice(2, 6).map((i) => !i.ok && i.error)).toEqual([
      'transcripts are disabled for video disabled003',
      'video gone0000004 is unavailable (removed, private, or a wrong id)',
      'YouTube is rate-limiting this IP (it asks for a captcha); retry later, or ingest caption files instead (video captcha0006)',
      "not a YouTube video id or URL: 'not a video'",
    ]);
    // Watch page down: the transcript still counts, titled by its id.
    expect(items[6]).toMatchObject({
      ok: true,
      transcript: { videoId: 'noMeta00007', title: 'noMeta00007', published: null, durationSec: null },
    });

    // The real client made the real requests: InnerTube as the Android client, then the caption track.
    const player = seen.filter((s) => s.path.startsWith('/youtubei/v1/player'));
    expect(player.map((s) => JSON.parse(s.body).videoId)).toEqual([
      'innerTube01',
      'webPage0002',
      'disabled003',
      'gone0000004',
      'captcha0006',
      'noMeta00007',
    ]);
    expect(JSON.parse(player[0]!.body).context.client.clientName).toBe('ANDROID');
    expect(
      seen
        .filter((s) => s.path.startsWith('/api/timedtext'))
        .map((s) => new URL(s.path, base).searchParams.get('v')),
    ).toEqual(['innerTube01', 'webPage0002', 'noMeta00007']);
  });

  it('asks for a language and says which ones exist when it is missing', async () => {
    const items = await collect(
      youtubeSource(['german00005', 'innerTube01'], { fetch: localFetch, lang: 'en' }),
    );
    expect(items[0]).toEqual({
      ref: 'german00005',
      ok: false,
      error: "video german00005 has no 'en' transcript (available: de)",
    });
    expect(items[1]).toMatchObject({ ok: true, transcript: { videoId: 'innerTube01' } });
    expect(seen.some((s) => s.path.includes('lang=en'))).toBe(true);
  });

  it('can skip the watch page', async () => {
    const [item] = await collect(youtubeSource(['innerTube01'], { fetch: localFetch, metadata: false }));
    expect(item).toMatchObject({ ok: true, transcript: { title: 'innerTube01', published: null } });
    expect(seen.some((s) => s.path.startsWith('/watch'))).toBe(false);
  });

  it('reports a network failure per item', async () => {
    const down: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    const items = await collect(youtubeSource(['innerTube01'], { fetch: down }));
    expect(items).toEqual([
      {
        ref: 'innerTube01',
        ok: false,
        // youtube-transcript swallows InnerTube errors, then the watch page request fails.
        error: 'fetching the transcript of video innerTube01 failed: fetch failed',
      },
    ]);
  });
});

describe('listPlaylistVideoIds against a local YouTube', () => {
  it('lists a playlist page and feeds youtubeSource', async () => {
    const ids = await listPlaylistVideoIds('https://www.youtube.com/playlist?list=PLtest', {
      fetch: localFetch,
    });
    expect(ids).toEqual(['innerTube01', 'webPage0002', 'disabled003']);
    const items = await collect(youtubeSource(ids, { fetch: localFetch, metadata: false }));
    expect(items.map((i) => i.ok)).toEqual([true, true, false]);
  });

  it('fails clearly on a page without videos or a missing page', async () => {
    await expect(
      listPlaylistVideoIds('https://www.youtube.com/@empty', { fetch: localFetch }),
    ).rejects.toThrow(/no video ids on https:\/\/www.youtube.com\/@empty\/videos/);
    await expect(
      listPlaylistVideoIds('https://www.youtube.com/playlist?list=PLmissing', { fetch: localFetch }),
    ).rejects.toThrow(/answered HTTP 404/);
  });
});

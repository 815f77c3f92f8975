/**
 * Bad input, property-based (fast-check): every transcript parser (WebVTT, SRT, youtube-transcript
 * JSON, corpus Markdown with its front matter, video refs) either returns well-formed segments or
 * throws a typed RagError; every API route, given any body, query, path and headers, answers below
 * 500 and the server keeps serving — on PGlite and (with DATABASE_URL) PostgreSQL.
 * `pnpm test` tries a few hundred inputs per property; `pnpm test:soak` (RAG_SOAK=1) 20 times more.
 */
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { RagError } from '../src/errors.ts';
import { parseCorpusMarkdown } from '../src/ingest/corpus.ts';
import { parseFrontMatter } from '../src/ingest/front-matter.ts';
import { parseTranscriptJson, timedItemsToSegments } from '../src/ingest/json.ts';
import { parseSrt } from '../src/ingest/srt.ts';
import { parseVideoList, parseVideoRef } from '../src/ingest/video-ref.ts';
import { parseVtt } from '../src/ingest/vtt.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { grantAdmin } from '../src/server/admins.ts';
import type { AppEnv } from '../src/server/context.ts';
import type { Segment } from '../src/types.ts';
import { soak } from './support/faults.ts';
import {
  ApiClient,
  CORPUS_DIR,
  corpusSlice,
  makeApp,
  SLICE,
  tempDir,
  testConfig,
  viaApp,
} from './support/server-harness.ts';
import { storeTargets } from './support/stores.ts';

const SCALE = soak ? 20 : 1;
const tried = { parsers: 0, requests: 0, serverErrors: 0 };

afterAll(() => console.info(`fuzz-input: ${JSON.stringify(tried)}`));

function wellFormed(segments: Segment[]): void {
  for (const s of segments) {
    expect(Number.isFinite(s.start) && Number.isFinite(s.end)).toBe(true);
    expect(s.start).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(typeof s.text).toBe('string');
  }
}

/** The parser's contract: a result, or a RagError with a reason; never a TypeError or a hang. */
function survives<T>(parse: () => T, check: (out: T) => void = () => undefined): void {
  tried.parsers++;
  let out: T;
  try {
    out = parse();
  } catch (err) {
    if (!(err instanceof RagError)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
    return;
  }
  check(out);
}

const clock = fc
  .tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(999))
  .map(
    ([h, m, s, ms]) =>
      `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms).padStart(3, '0')}`,
  );
const junk = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('-->', '\u0000', '\r\n', '<b>', '&amp;', ''),
);
const line = fc.oneof(
  fc.tuple(clock, clock, junk).map(([a, b, rest]) => `${a} --> ${b}${rest}`),
  junk,
  fc.nat(1000).map(String),
);
const cueText = fc.array(line, { maxLength: 40 }).map((ls) => ls.join('\n'));
const numberish = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null), fc.constant(undefined));

describe('parsers never throw anything but a RagError', () => {
  const runs = 300 * SCALE;

  it('WebVTT', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          cueText.map((t) => `WEBVTT\n\n${t}`),
          cueText,
          fc.string(),
        ),
        (text) => survives(() => parseVtt(text), wellFormed),
      ),
      { numRuns: runs },
    );
  });

  it('SRT', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          cueText.map((t) => t.replace(/\./g, ',')),
          cueText,
          fc.string(),
        ),
        (text) => survives(() => parseSrt(text), wellFormed),
      ),
      { numRuns: runs },
    );
  });

  it('youtube-transcript JSON, as text and as items', () => {
    const item = fc.record(
      {
        text: fc.oneof(fc.string(), numberish),
        offset: numberish,
        duration: numberish,
        start: numberish,
        dur: numberish,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.array(item).map((a) => JSON.stringify(a)),
          fc
            .record({ videoId: fc.string(), title: numberish, segments: fc.array(item) })
            .map((o) => JSON.stringify(o)),
          fc.string(),
        ),
        (text) => survives(() => parseTranscriptJson(text)),
      ),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ text: fc.string(), offset: fc.double(), duration: fc.double() })),
        (items) => survives(() => timedItemsToSegments(items), wellFormed),
      ),
      { numRuns: runs },
    );
  });

  it('corpus Markdown and its front matter', () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('"quoted"', "'x'", '0:11:11', '2024-11-20', 'true', '[a, b]'),
    );
    const frontMatter = fc
      .array(
        fc.tuple(fc.constantFrom('title', 'youtube_id', 'url', 'published', 'duration', 'slug', 'x'), value),
        {
          maxLength: 8,
        },
      )
      .map((kv) => `---\n${kv.map(([k, v]) => `${k}: ${v}`).join('\n')}\n---\n`);
    const body = fc
      .array(
        fc.oneof(
          fc
            .tuple(fc.nat(3), fc.nat(59), fc.nat(59), junk)
            .map(
              ([h, m, s, t]) => `**[${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}]** ${t}`,
            ),
          junk,
        ),
        { maxLength: 30 },
      )
      .map((ls) => ls.join('\n\n'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(frontMatter, body).map(([f, b]) => f + b),
          body,
          fc.string(),
        ),
        (text) => {
          survives(
            () => parseCorpusMarkdown(text, 'fuzz.md'),
            (t) => wellFormed(t.segments),
          );
          survives(() => parseFrontMatter(text.split('\n')));
        },
      ),
      { numRuns: runs },
    );
  });

  it('video refs and lists', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc
            .tuple(
              fc.constantFrom('https://youtu.be/', 'https://www.youtube.com/watch?v=', 'youtube.com/shorts/'),
              fc.string(),
            )
            .map(([a, b]) => a + b),
        ),
        (ref) => {
          survives(
            () => parseVideoRef(ref),
            (id) => expect(id).toMatch(/^[\w-]{11}$/),
          );
          survives(() => parseVideoList(`${ref}\n# c\n${ref}`));
        },
      ),
      { numRuns: runs },
    );
  });
});

/** Every route of the app, with its path parameters as holes to fill. */
const ROUTES: [string, string][] = [
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/api/me'],
  ['DELETE', '/api/me'],
  ['POST', '/api/auth/signup'],
  ['POST', '/api/auth/login'],
  ['POST', '/api/auth/logout'],
  ['POST', '/api/auth/password'],
  ['POST', '/api/auth/logout-all'],
  ['GET', '/admin/setup'],
  ['POST', '/api/admin-setup'],
  ['POST', '/api/search'],
  ['POST', '/api/ask'],
  ['GET', '/api/videos'],
  ['GET', '/api/videos/:id'],
  ['GET', '/api/conversations'],
  ['POST', '/api/conversations'],
  ['GET', '/api/conversations/search'],
  ['GET', '/api/conversations/:id'],
  ['PATCH', '/api/conversations/:id'],
  ['DELETE', '/api/conversations/:id'],
  ['GET', '/api/conversations/:id/export'],
  ['POST', '/api/issues'],
  ['GET', '/api/admin/status'],
  ['POST', '/api/admin/videos'],
  ['DELETE', '/api/admin/videos/:id'],
  ['POST', '/api/admin/sync'],
  ['GET', '/'],
  ['GET', '/static/:id'],
];

const FIELDS = [
  'question',
  'query',
  'title',
  'q',
  'k',
  'limit',
  'offset',
  'videoId',
  'conversationId',
  'email',
  'password',
  'currentPassword',
  'newPassword',
  'comment',
  'messageId',
  'answer',
  'citations',
  'ref',
  'token',
  'format',
  'publishedAfter',
  'publishedBefore',
  'refused',
];
/** encodeURIComponent, except that a lone surrogate goes through as its (invalid) UTF-8 bytes. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};
const nasty = fc.constantFrom(
  '\u0000',
  '%00',
  '%',
  '%E0%A4%A',
  '../..',
  "' OR 1=1 --",
  '<script>',
  '\uD800',
  'a'.repeat(70_000),
  '𝟘',
  ' ',
);
const anyValue = fc.oneof(fc.anything(), nasty, fc.string(), fc.integer(), fc.double(), fc.uuid());
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 5 }).map((o) => JSON.stringify(o)),
  fc.json(),
  fc.string(),
  nasty,
  fc.constant(''),
);
const segment = fc.oneof(fc.string(), nasty, fc.uuid(), fc.constantFrom('Nsu9BzQv5C4', 'm8VC2SV2igM'));
const query = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), fc.oneof(fc.string(), nasty)), {
    maxLength: 4,
  })
  .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${/%/.test(v) ? v : encode(v)}`).join('&'));
const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  param: segment,
  rawParam: fc.boolean(),
  query,
  body,
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    undefined,
    'multipart/form-data',
  ),
  accept: fc.constantFrom('text/event-stream', 'application/json', undefined),
  who: fc.constantFrom('admin', 'user', 'guest', 'nobody'),
  csrf: fc.boolean(),
});

describe.each(storeTargets())('every API route on $name', (target) => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  let rag: Rag;
  let app: Hono<AppEnv>;
  let clients: Record<string, ApiClient>;

  beforeAll(async () => {
    tmp = tempDir('rag-fuzz');
    config = testConfig(tmp.dir, {
      ALLOW_ANONYMOUS: '1',
      IP_RATE_PER_MINUTE: '1000000',
      DAILY_MESSAGE_CAP: '1000000',
    });
    rag = await openRag(config, { db: await target.open() });
    await rag.ingest(corpusSlice(CORPUS_DIR, SLICE.slice(0, 2)));
    app = makeApp(rag, config).app;
    clients = {
      admin: new ApiClient(viaApp(app)),
      user: new ApiClient(viaApp(app)),
      guest: new ApiClient(viaApp(app)),
      nobody: new ApiClient(viaApp(app)),
    };
    await clients.admin!.signup('fuzz-admin@example.com');
    await grantAdmin(rag.db, 'fuzz-admin@example.com');
    await clients.user!.signup('fuzz-user@example.com');
    await clients.guest!.me();
    await clients.guest!.json('/api/conversations', { json: { title: 'guest' } });
  });
  afterAll(async () => {
    await rag?.close();
    tmp?.remove();
  });

  it('answers below 500 to anything, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, template] = r.route;
        const param = r.rawParam ? r.param.replace(/[/?#]/g, '') : encode(r.param);
        const p = template.replace(':id', param || 'x') + (r.query ? `?${r.query}` : '');
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.accept) headers.accept = r.accept;
        const client = clients[r.who]!;
        let res: Response;
        try {
          res = await client.request(p, {
            method,
            headers,
            noCsrf: !r.csrf,
            ...(method === 'GET' ? {} : { body: r.body }),
          });
        } catch (err) {
          // Only the URL itself can be unsendable (a lone surrogate, say): not the server's fault.
          if (err instanceof TypeError && /URL|Invalid/.test(err.message)) return;
          throw err;
        }
        await res.arrayBuffer();
        tried.requests++;
        if (res.status >= 500) tried.serverErrors++;
        expect(res.status, `${method} ${p.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: (target.name === 'pglite' ? 400 : 150) * SCALE },
    );
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});

/**
 * Bad input, property-based (fast-check): every transcript parser (WebVTT, SRT, youtube-transcript
 * JSON, corpus Markdown with its front matter, video refs) either returns well-formed segments or
 * throws a typed RagError; every API route, given any body, query, path and headers, answers below
 * 500 and the server keeps serving — on PGlite and (with DATABASE_URL) PostgreSQL.
 * `pnpm test` tries a few hundred inputs per property; `pnpm test:soak` (RAG_SOAK=1) 20 times more.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../src/accounts/admins.ts';
import type { Config } from '../src/config.ts';
import { RagError } from '../src/errors.ts';
import type { AppEnv } from '../src/http/context.ts';
import { parseCorpusMarkdown } from '../src/ingest/corpus.ts';
import { parseFrontMatter } from '../src/ingest/front-matter.ts';
import { parseTranscriptJson, timedItemsToSegments } from '../src/ingest/json.ts';
import { parseSrt } from '../src/ingest/srt.ts';
import { parseVideoList, parseVideoRef } from '../src/ingest/video-ref.ts';
import { parseVtt } from '../src/ingest/vtt.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import type { Segment } from '../src/types.ts';
import { soak } from './support/faults.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
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

/** Every route of the app: method, path (`:id` a hole to fill), the body's fields, the query's fields. */
const ROUTES: [string, string, string[], string[]][] = [
  ['GET', '/healthz', [], []],
  ['GET', '/readyz', [], []],
  ['GET', '/api/me', [], []],
  ['DELETE', '/api/me', [], []],
  ['POST', '/api/auth/signup', ['email', 'password'], []],
  ['POST', '/api/auth/login', ['email', 'password'], []],
  ['POST', '/api/auth/logout', [], []],
  ['POST', '/api/auth/password', ['currentPassword', 'newPassword'], []],
  ['POST', '/api/auth/logout-all', [], []],
  ['GET', '/admin/setup', [], ['token']],
  ['POST', '/api/admin-setup', ['token'], []],
  ['POST', '/api/search', ['query', 'k', 'videoId', 'publishedAfter', 'publishedBefore'], []],
  ['POST', '/api/ask', ['question', 'conversationId', 'videoId', 'k'], []],
  ['GET', '/api/videos', [], ['q', 'limit', 'offset']],
  ['GET', '/api/videos/:id', [], []],
  ['GET', '/api/conversations', [], ['limit', 'offset']],
  ['POST', '/api/conversations', ['title'], []],
  ['GET', '/api/conversations/search', [], ['q', 'limit']],
  ['GET', '/api/conversations/:id', [], []],
  ['PATCH', '/api/conversations/:id', ['title'], []],
  ['DELETE', '/api/conversations/:id', [], []],
  ['GET', '/api/conversations/:id/export', [], ['format']],
  ['POST', '/api/issues', ['comment', 'messageId', 'question', 'answer', 'refused', 'citations'], []],
  ['GET', '/api/admin/status', [], []],
  ['POST', '/api/admin/videos', ['ref'], []],
  ['DELETE', '/api/admin/videos/:id', [], []],
  ['POST', '/api/admin/sync', ['videoId'], []],
  ['GET', '/', [], ['c']],
  ['GET', '/static/:id', [], ['v']],
];

const FIELDS = [...new Set(ROUTES.flatMap(([, , b, q]) => [...b, ...q]))];
/** encodeURIComponent, except that a lone surrogate goes through as its (invalid) UTF-8 bytes. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};
const nasty = fc.oneof(
  // NUL bytes gave 500s on both stores (issue 8, item 6): tried most.
  { arbitrary: fc.constantFrom('\u0000', 'a\u0000b', '%00', 'x%00y'), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      '%',
      '%E0%A4%A',
      '../..',
      "' OR 1=1 --",
      '<script>alert(1)</script>',
      'javascript:alert(1)',
      '\uD800',
      'a'.repeat(70_000),
      '𝟘',
      ' ',
      '\u0007\u001b[2J',
    ),
    weight: 2,
  },
);
const plausible = fc.oneof(
  fc.string({ minLength: 1 }),
  fc.constantFrom(
    'What is the PIV loop?',
    'piv loop',
    'm8VC2SV2igM',
    'a@example.com',
    'correct horse battery',
    '2024-01-01',
  ),
  fc.integer({ min: -5, max: 100 }),
);
const anyValue = fc.oneof(
  { arbitrary: nasty, weight: 5 },
  { arbitrary: plausible, weight: 3 },
  { arbitrary: fc.anything(), weight: 1 },
  { arbitrary: fc.uuid(), weight: 1 },
  {
    arbitrary: fc.array(
      fc.record({
        videoId: plausible,
        title: plausible,
        start: anyNumber(),
        end: anyNumber(),
        url: fc.oneof(nasty, fc.webUrl()),
        text: plausible,
      }),
      { maxLength: 2 },
    ),
    weight: 1,
  },
);
function anyNumber() {
  return fc.oneof(fc.double(), fc.integer(), fc.constant(1e308));
}
/** Mostly the route's own fields with one or more bad values; sometimes anything at all. */
const bodyFor = (fields: string[]) =>
  fc.oneof(
    {
      arbitrary: fc
        .dictionary(fc.constantFrom(...(fields.length ? fields : FIELDS)), anyValue, {
          minKeys: 1,
          maxKeys: 4,
        })
        .map((o) => JSON.stringify(o)),
      weight: 6,
    },
    { arbitrary: fc.json(), weight: 1 },
    { arbitrary: fc.oneof(fc.string(), nasty, fc.constant('')), weight: 1 },
  );
const queryFor = (fields: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { arbitrary: fc.constantFrom(...(fields.length ? fields : FIELDS)), weight: 4 },
          { arbitrary: fc.string(), weight: 1 },
        ),
        fc.oneof(plausible.map(String), nasty),
      ),
      { maxLength: 3 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${/%/.test(v) ? v : encode(v)}`).join('&'));
const request = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    param: fc.oneof(
      fc.string(),
      nasty,
      fc.uuid(),
      fc.constantFrom('Nsu9BzQv5C4', 'm8VC2SV2igM', 'own-conversation', 'app.js'),
    ),
    rawParam: fc.boolean(),
    query: queryFor(route[3]),
    body: bodyFor(route[2]),
    contentType: fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 8 },
      {
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'text/plain',
          undefined,
          'multipart/form-data',
        ),
        weight: 2,
      },
    ),
    accept: fc.constantFrom('text/event-stream', 'application/json', undefined),
    who: fc.constantFrom('admin', 'user', 'guest', 'nobody'),
    csrf: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
  }),
);

describe.each(templateStoreTargets())('every API route on $name', (target) => {
  let tmp: ReturnType<typeof tempDir>;
  let config: Config;
  let rag: Rag;
  let app: Hono<AppEnv>;
  let clients: Record<string, ApiClient>;
  const conversations: Record<string, string> = {};

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
    for (const who of ['admin', 'user', 'guest'])
      conversations[who] = (
        await clients[who]!.json<{ id: string }>('/api/conversations', { json: { title: who } })
      ).body.id;
    conversations.nobody = randomUUID();
  });
  afterAll(async () => {
    await rag?.close();
    tmp?.remove();
  });

  it('answers below 500 to anything, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, template] = r.route;
        const raw = r.param === 'own-conversation' ? conversations[r.who]! : r.param;
        const param = r.rawParam ? raw.replace(/[/?#]/g, '') : encode(raw);
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
      { numRuns: (target.name === 'pglite' ? 500 : 200) * SCALE },
    );
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});

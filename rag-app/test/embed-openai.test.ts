import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createEmbedder } from '../src/embed/index.ts';
import {
  EmbeddingError,
  l2normalize,
  OpenAiEmbedder,
  type OpenAiEmbedderOptions,
  parseEmbeddings,
  planBatches,
  providerMessage,
  retryAfterMs,
} from '../src/embed/openai.ts';
import { ConfigError, EmbeddingMismatchError } from '../src/errors.ts';
import { ingestItems } from '../src/ingest/pipeline.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import type { Db } from '../src/store/db.ts';
import {
  bagOfWordsVector,
  type EmbeddingsServer,
  type EmbeddingsServerOptions,
  startEmbeddingsServer,
} from './support/embeddings-server.ts';
import { freshPglite, templateStoreTargets } from './support/pglite-templates.ts';
import { filler, ok, video } from './support/videos.ts';

const KEY = 'sk-test-embeddings';
const MODEL = 'text-embedding-3-small';
const config = loadConfig({ DATA_DIR: '/tmp/unused-by-embed-openai-tests' });

const servers: EmbeddingsServer[] = [];
async function serve(options: EmbeddingsServerOptions = {}): Promise<EmbeddingsServer> {
  const server = await startEmbeddingsServer({ apiKey: KEY, ...options });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function embedderFor(server: EmbeddingsServer, options: OpenAiEmbedderOptions = {}) {
  return new OpenAiEmbedder({ baseUrl: server.url, apiKey: KEY, model: MODEL, retryBaseMs: 5, ...options });
}

async function rejection<E extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const sizes = (server: EmbeddingsServer) => server.embeddedBatches().map((b) => b.length);

describe('OpenAiEmbedder pure parts', () => {
  it('plans batches by text count and character budget', () => {
    expect(planBatches(Array(150).fill(10), 64, 1e6)).toEqual([
      { start: 0, end: 64 },
      { start: 64, end: 128 },
      { start: 128, end: 150 },
    ]);
    expect(planBatches([400, 400, 400, 2000, 10], 64, 1000)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 3 },
      { start: 3, end: 4 },
      { start: 4, end: 5 },
    ]);
    expect(planBatches([], 64, 1000)).toEqual([]);
  });

  it('restores index order, checks count and dimension, normalises', () => {
    const body = {
      data: [
        { index: 1, embedding: [0, 3, 4] },
        { index: 0, embedding: [2, 0, 0] },
      ],
    };
    expect(parseEmbeddings(body, 2)).toEqual([
      [1, 0, 0],
      [0, 0.6, 0.8],
    ]);
    expect(() => parseEmbeddings(body, 3)).toThrow(/expected 3 embeddings, got 2/);
    expect(() =>
      parseEmbeddings(
        {
          data: [
            { index: 0, embedding: [1] },
            { index: 1, embedding: [1, 2] },
          ],
        },
        2,
      ),
    ).toThrow(/embedding 1 has dim 2, embedding 0 has dim 1/);
    expect(() =>
      parseEmbeddings(
        {
          data: [
            { index: 0, embedding: [1] },
            { index: 0, embedding: [2] },
          ],
        },
        2,
      ),
    ).toThrow(/repeated/);
    expect(() => parseEmbeddings({ data: [{ index: 0, embedding: 'AAAA' }] }, 1)).toThrow(
      /data\.0\.embedding/,
    );
    expect(() => parseEmbeddings({ data: [{ index: 0, embedding: [0, 0] }] }, 1)).toThrow(/zero vector/);
    expect(l2normalize([0, 0])).toBeNull();
  });

  it('reads retry-after in seconds, as a date or in ms, and the provider message', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryAfterMs(new Headers(), now)).toBeNull();
    expect(providerMessage('{"error":{"message":"bad model","type":"x"}}')).toBe('bad model');
    expect(providerMessage('{"error":"model \\"nomic\\" not found"}')).toBe('model "nomic" not found');
    expect(providerMessage('{"detail":"Not Found"}')).toBe('Not Found');
    expect(providerMessage('<html> gateway   timeout </html>')).toBe('<html> gateway timeout </html>');
  });
});

describe('OpenAiEmbedder against a local embeddings API', () => {
  it('batches by count, sends the key, and returns unit vectors in input order', async () => {
    const server = await serve({ script: [{ kind: 'ok', shuffle: true }] });
    const embedder = embedderFor(server, { batchSize: 64 });
    expect(embedder.dim()).toBeNull();
    const texts = Array.from({ length: 150 }, (_, i) => `text number ${i} about topic${i % 7} and webhooks`);
    const vectors = await embedder.embedTexts(texts);

    expect(server.requests).toHaveLength(3);
    expect(sizes(server)).toEqual([64, 64, 22]);
    expect(server.embeddedBatches().flat()).toEqual(texts);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).toEqual({ model: MODEL, input: expect.any(Array) });
    }
    expect(embedder.dim()).toBe(64);
    // The first reply came reversed: each vector must still be its own text's.
    vectors.forEach((v, i) => {
      expect(v).toHaveLength(64);
      expect(dot(v, v)).toBeCloseTo(1, 6);
      expect(v).toEqual(l2normalize(bagOfWordsVector(texts[i]!, 64)));
    });
  });

  it('keeps each request under the character budget and omits auth without a key', async () => {
    const server = await serve({ apiKey: undefined });
    const embedder = embedderFor(server, { apiKey: undefined, maxBatchChars: 1000 });
    const texts = Array.from({ length: 10 }, (_, i) => `${'word '.repeat(59)}n${i}`);
    await embedder.embedTexts(texts);
    expect(sizes(server)).toEqual([3, 3, 3, 1]);
    expect(server.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('places similar texts near each other', async () => {
    const server = await serve();
    const [a, b, c] = await embedderFor(server).embedTexts([
      'the n8n webhook node triggers the workflow',
      'which node triggers an n8n workflow from a webhook',
      'row level security policies in supabase',
    ]);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.3);
  });

  it('retries a 429 after the retry-after the provider asked for', async () => {
    const server = await serve({
      script: [
        {
          kind: 'error',
          status: 429,
          type: 'rate_limit_error',
          message: 'Rate limit reached',
          headers: { 'retry-after': '1' },
        },
      ],
    });
    const started = performance.now();
    const [v] = await embedderFor(server).embedTexts(['retry me']);
    const elapsed = performance.now() - started;
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(v).toEqual(l2normalize(bagOfWordsVector('retry me', 64)));
  });

  it('retries 5xx with backoff at most three times, then names the status and message', async () => {
    const unavailable = {
      kind: 'error',
      status: 503,
      type: 'server_error',
      message: 'The server is overloaded',
    } as const;
    const recovering = await serve({ script: [unavailable, unavailable, unavailable] });
    await embedderFor(recovering).embedTexts(['eventually']);
    expect(recovering.requests).toHaveLength(4);

    const down = await serve({ script: () => unavailable });
    const err = await rejection(embedderFor(down).embedTexts(['never']), EmbeddingError);
    expect(down.requests).toHaveLength(4);
    expect(err.code).toBe('embedding_failed');
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/HTTP 503.*The server is overloaded/);
    expect(err.context).toMatchObject({ status: 503, model: MODEL, attempts: 4 });
  });

  it('does not stall on a retry-after beyond the limit, nor retry a 401', async () => {
    const limited = await serve({
      script: () => ({
        kind: 'error',
        status: 429,
        message: 'quota exceeded',
        headers: { 'retry-after': '3600' },
      }),
    });
    const err = await rejection(embedderFor(limited).embedTexts(['x']), EmbeddingError);
    expect(limited.requests).toHaveLength(1);
    expect(err.message).toMatch(/HTTP 429.*quota exceeded.*retry after 3600 s/);

    const server = await serve();
    const denied = await rejection(
      embedderFor(server, { apiKey: 'sk-wrong' }).embedTexts(['x']),
      EmbeddingError,
    );
    expect(server.requests).toHaveLength(1);
    expect(denied.status).toBe(401);
    expect(denied.message).toMatch(/Incorrect API key provided/);
  });

  it('retries a network failure through the injected fetch', async () => {
    const server = await serve();
    let calls = 0;
    const flaky: typeof fetch = (input, init) => {
      calls++;
      if (calls === 1)
        return Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNRESET') }));
      return fetch(input, init);
    };
    const [v] = await embedderFor(server, { fetch: flaky }).embedTexts(['after a reset']);
    expect(calls).toBe(2);
    expect(server.requests).toHaveLength(1);
    expect(v).toHaveLength(64);

    const closed = embedderFor(server, { baseUrl: 'http://127.0.0.1:1/v1', maxRetries: 1 });
    const err = await rejection(closed.embedTexts(['x']), EmbeddingError);
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/failed after 2 attempts: fetch failed/);
  });

  it('rejects malformed replies with what was wrong', async () => {
    const server = await serve({
      script: [
        { kind: 'raw', status: 200, body: '<html>proxy error</html>' },
        { kind: 'raw', status: 200, body: JSON.stringify({ data: [{ index: 0, embedding: [1, 2] }] }) },
        { kind: 'raw', status: 200, body: JSON.stringify({ object: 'list', results: [] }) },
      ],
    });
    const embedder = embedderFor(server);
    expect((await rejection(embedder.embedTexts(['a']), EmbeddingError)).message).toMatch(
      /not JSON: <html>proxy error/,
    );
    expect((await rejection(embedder.embedTexts(['a', 'b']), EmbeddingError)).message).toMatch(
      /invalid: expected 2 embeddings, got 1/,
    );
    expect((await rejection(embedder.embedTexts(['a']), EmbeddingError)).message).toMatch(/invalid: .*data/);
  });

  it('refuses a provider that changes dimension mid-way', async () => {
    const server = await serve({ dim: 64 });
    const other = await serve({ dim: 32 });
    let calls = 0;
    // The first request goes to a 32-dimension model, the next ones to a 64-dimension one.
    const mixed = embedderFor(server, {
      fetch: (input, init) => fetch(calls++ === 0 ? `${other.url}/embeddings` : input, init),
    });
    await mixed.embedTexts(['a']);
    expect(mixed.dim()).toBe(32);
    const err = await rejection(mixed.embedTexts(['b']), EmbeddingError);
    expect(err.message).toMatch(/dim 64 after dim 32/);
    expect(mixed.dim()).toBe(32);
  });
});

describe('createEmbedder and config for EMBEDDER=openai', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshPglite();
  });
  afterAll(async () => {
    await db.close();
  });

  it('needs a key for api.openai.com, not for a local server', async () => {
    const bare = loadConfig({ DATA_DIR: '/tmp/x', EMBEDDER: 'openai' });
    expect(bare).toMatchObject({
      EMBEDDINGS_BASE_URL: 'https://api.openai.com/v1',
      EMBEDDINGS_MODEL: 'text-embedding-3-small',
      EMBEDDINGS_BATCH: 64,
    });
    const err = await rejection(createEmbedder(bare, db), ConfigError);
    expect(err.message).toMatch(/EMBEDDINGS_API_KEY/);

    const local = loadConfig({
      DATA_DIR: '/tmp/x',
      EMBEDDER: 'openai',
      EMBEDDINGS_BASE_URL: 'http://127.0.0.1:11434/v1',
      EMBEDDINGS_MODEL: 'nomic-embed-text',
      EMBEDDINGS_BATCH: '16',
    });
    const embedder = await createEmbedder(local, db);
    expect(embedder).toBeInstanceOf(OpenAiEmbedder);
    expect(embedder).toMatchObject({ provider: 'openai', model: 'nomic-embed-text' });
    expect(() => loadConfig({ EMBEDDINGS_BATCH: '0' })).toThrow(/EMBEDDINGS_BATCH/);
    expect(() => loadConfig({ EMBEDDER: 'voyage' })).toThrow(/EMBEDDER/);
  });

  it('the configured embedder talks to EMBEDDINGS_BASE_URL with the batch size', async () => {
    const server = await serve();
    const cfg = loadConfig({
      EMBEDDER: 'openai',
      EMBEDDINGS_BASE_URL: server.url,
      EMBEDDINGS_API_KEY: KEY,
      EMBEDDINGS_BATCH: '2',
    });
    const embedder = (await createEmbedder(cfg, db)) as OpenAiEmbedder;
    await embedder.embedTexts(['a one', 'b two', 'c three']);
    expect(sizes(server)).toEqual([2, 1]);
    expect(server.requests[0]!.body?.model).toBe('text-embedding-3-small');
  });
});

const videos = [
  video('AAAAAAAAAAA', 'Supabase deep dive', [
    ...filler('databases', 8),
    'row level security in supabase protects every table with policies.',
    ...filler('databases', 8),
  ]),
  video('BBBBBBBBBBB', 'n8n automations', [
    ...filler('workflows', 6),
    'the n8n webhook node triggers the workflow from outside.',
    ...filler('workflows', 6),
  ]),
  video('CCCCCCCCCCC', 'Pydantic AI agents', [
    ...filler('agents', 10),
    'pydantic ai validates the structured output of the agent.',
    ...filler('agents', 4),
  ]),
];

const VECTOR_ONLY = { lexicalWeight: 0, vectorWeight: 1 };

async function count(db: Db, sql: string): Promise<number> {
  const res = await db.query<{ n: string | number }>(sql);
  return Number(res.rows[0]!.n);
}

// A fresh store per test (on PGlite a copy of the blank template: no initdb each).
for (const target of templateStoreTargets()) {
  describe(`OpenAiEmbedder in the ingest pipeline on ${target.name}`, () => {
    let db: Db;
    let rag: Rag | null;
    beforeEach(async () => {
      db = await target.open();
      rag = null;
    });
    afterEach(async () => {
      if (rag) await rag.close();
      else await db.close();
    });

    it('embeds on ingest, records the space with its HNSW index, retrieves by vector, refuses another space', async () => {
      const server = await serve({ dim: 64 });
      const embedder = embedderFor(server, { batchSize: 4, db });
      rag = await openRag(config, { db, embedder, retrieval: VECTOR_ONLY });
      const summary = await rag.ingest(videos.map(ok));
      expect(summary).toMatchObject({ added: 3, failed: 0 });

      // One video per embedChunks call, each split into requests of at most 4 chunks.
      const perVideo = await db.query<{ video_id: string; n: string | number }>(
        'SELECT video_id, count(*) AS n FROM chunks GROUP BY video_id ORDER BY video_id',
      );
      const expected = perVideo.rows.flatMap(({ n }) => {
        const total = Number(n);
        return Array.from({ length: Math.ceil(total / 4) }, (_, i) => Math.min(4, total - i * 4));
      });
      expect(sizes(server)).toEqual(expected);
      expect(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);

      const space = await db.query('SELECT provider, model, dim FROM embedding_space');
      expect(space.rows).toEqual([{ provider: 'openai', model: MODEL, dim: 64 }]);
      const idx = await db.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_hnsw_64' AND schemaname = current_schema()",
      );
      expect(idx.rows[0]?.indexdef).toMatch(/USING hnsw/);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(0);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE vector_dims(embedding) <> 64')).toBe(0);

      const before = server.requests.length;
      const hits = await rag.search('which node triggers the workflow from a webhook?', { k: 3 });
      expect(server.requests).toHaveLength(before + 1);
      expect(hits[0]).toMatchObject({ videoId: 'BBBBBBBBBBB' });
      expect(hits[0]!.scores.vectorRank).toBe(1);
      expect(hits[0]!.scores.lexicalRank).toBeNull();
      const security = await rag.search('supabase row level security policies', { k: 3 });
      expect(security[0]!.videoId).toBe('AAAAAAAAAAA');

      // Another dimension: refused for queries and for ingest, and nothing is written.
      const narrow = await serve({ dim: 32 });
      const other = embedderFor(narrow, { db });
      const mismatch = await rejection(other.embedQuery(db, 'webhook'), EmbeddingMismatchError);
      expect(mismatch.message).toMatch(/openai\/text-embedding-3-small \(dim 64\).*\(dim 32\)/);
      const chunksBefore = await count(db, 'SELECT count(*) AS n FROM chunks');
      const otherRag = await openRag(config, {
        db,
        embedder: embedderFor(narrow, { db }),
        retrieval: VECTOR_ONLY,
      });
      const extra = video('DDDDDDDDDDD', 'Extra', ['a new video about vector databases and embeddings.']);
      const refused = await otherRag.ingest([ok(extra)]);
      expect(refused).toMatchObject({ added: 0, failed: 1 });
      expect(refused.items[0]!.reason).toMatch(/dim 64.*dim 32/);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks')).toBe(chunksBefore);
      await expect(otherRag.search('webhook', { k: 3 })).rejects.toBeInstanceOf(EmbeddingMismatchError);

      // Same dimension, another model: refused before any request is sent.
      const sent = server.requests.length;
      const renamed = embedderFor(server, { model: 'text-embedding-ada-002', db });
      await expect(renamed.embedQuery(db, 'webhook')).rejects.toBeInstanceOf(EmbeddingMismatchError);
      await expect(renamed.embedChunks([{ ...chunkLike('x') }])).rejects.toBeInstanceOf(
        EmbeddingMismatchError,
      );
      expect(server.requests).toHaveLength(sent);
      expect((await db.query('SELECT provider, model, dim FROM embedding_space')).rows).toEqual([
        { provider: 'openai', model: MODEL, dim: 64 },
      ]);
    });

    it('a 400 fails the videos with the provider message and leaves the store whole', async () => {
      let failing = false;
      const message =
        "This model's maximum context length is 8192 tokens, however you requested 9000 tokens.";
      const server = await serve({
        script: () => (failing ? { kind: 'error', status: 400, message } : undefined),
      });
      rag = await openRag(config, { db, embedder: embedderFor(server, { db }), retrieval: VECTOR_ONLY });
      expect(await rag.ingest([ok(videos[0]!)])).toMatchObject({ added: 1 });
      const chunksBefore = await count(db, "SELECT count(*) AS n FROM chunks WHERE video_id = 'AAAAAAAAAAA'");

      failing = true;
      const sent = server.requests.length;
      const changed = { ...videos[0]!, segments: videos[0]!.segments.slice(0, 5) };
      const summary = await rag.ingest([ok(changed), ok(videos[1]!)]);
      expect(summary).toMatchObject({ added: 0, updated: 0, failed: 2 });
      for (const item of summary.items) {
        expect(item.status).toBe('failed');
        expect(item.reason).toContain('HTTP 400');
        expect(item.reason).toContain(message);
      }
      expect(server.requests).toHaveLength(sent + 2); // a 400 is not retried

      expect(await count(db, "SELECT count(*) AS n FROM chunks WHERE video_id = 'AAAAAAAAAAA'")).toBe(
        chunksBefore,
      );
      expect((await rag.getVideo('AAAAAAAAAAA'))?.segments).toHaveLength(videos[0]!.segments.length);
      expect(await rag.getVideo('BBBBBBBBBBB')).toBeNull();
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(0);

      failing = false;
      const hits = await rag.search('supabase row level security', { k: 1 });
      expect(hits[0]!.videoId).toBe('AAAAAAAAAAA');
    });

    it('embeds chunks ingested before the provider was configured, in batches', async () => {
      const plain = await openRag(config, { db, embedder: null });
      await plain.ingest([ok(videos[0]!), ok(videos[1]!)]);
      const older = await count(db, 'SELECT count(*) AS n FROM chunks');
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(older);

      const server = await serve();
      const embedder = embedderFor(server, { batchSize: 3, db });
      rag = await openRag(config, { db, embedder, retrieval: VECTOR_ONLY });
      // Before any vector is stored there is no space: the vector side stays silent.
      expect(await rag.search('supabase', { k: 1 })).toEqual([]);
      expect(server.requests).toHaveLength(0);

      // The pipeline rag.ingest runs, called directly for its stage messages.
      const stages: string[] = [];
      const summary = await ingestItems({ db, embedder }, [ok(videos[2]!)], {
        onStage: (m) => stages.push(m),
      });
      expect(summary).toMatchObject({ added: 1 });
      expect(stages[0]).toBe(`embedding ${older} chunks without a vector (${MODEL})`);
      expect(stages.at(-1)).toBe(`embedded ${older}/${older} chunks`);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(0);
      const total = await count(db, 'SELECT count(*) AS n FROM chunks');
      expect(server.embeddedBatches().flat()).toHaveLength(total);
      expect(sizes(server).every((n) => n >= 1 && n <= 3)).toBe(true);
      expect((await db.query('SELECT provider, dim FROM embedding_space')).rows).toEqual([
        { provider: 'openai', dim: 64 },
      ]);
      const hits = await rag.search('n8n webhook node', { k: 1 });
      expect(hits[0]!.videoId).toBe('BBBBBBBBBBB');

      // A removal re-runs afterIngest: nothing left to embed, so no request.
      const sent = server.requests.length;
      expect(await rag.removeVideo('CCCCCCCCCCC')).toBe(true);
      expect(server.requests).toHaveLength(sent);
    });
  });
}

function chunkLike(text: string) {
  return {
    videoId: 'ZZZZZZZZZZZ',
    ordinal: 0,
    start: 0,
    end: 1,
    text,
    segments: [],
    termFreqs: new Map<string, number>(),
    tokenCount: 1,
    embedding: null,
  };
}

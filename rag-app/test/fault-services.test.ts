/**
 * Faults in what the server depends on, with the real server on a real port:
 * - the PostgreSQL server going away under a running server (a TCP proxy in front of it is cut):
 *   /readyz says so, requests get 503 with a reason, and both recover when it is back, no restart.
 *   (The embedded store lives inside the server's own process: it cannot go away on its own.)
 * - the model endpoint failing (429, 500, 529 overloaded, no answer, a stream cut midway), through
 *   the real Anthropic SDK against local servers: bounded retries, then a clear error; nothing of
 *   the failed exchange is stored and it costs neither the user's cap nor the model budget.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { serveHttp } from '@dark-factory/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeAnswerer } from '../src/answer/claude.ts';
import type { Config } from '../src/config.ts';
import { runServer } from '../src/http/serve.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { type AnthropicReply, startAnthropicServer } from './support/anthropic-server.ts';
import { postgresSchema } from './support/faults.ts';
import { freshPglite } from './support/pglite-templates.ts';
import {
  ApiClient,
  CORPUS_DIR,
  corpusBackedSources,
  corpusSlice,
  KNOWN_QUESTION,
  parseSse,
  SLICE,
  tempDir,
  testConfig,
  viaUrl,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };
const tally = { faults: 0, lost: 0 };

let tmp: ReturnType<typeof tempDir>;
let config: Config;

beforeAll(() => {
  tmp = tempDir('rag-fault-services');
  config = testConfig(tmp.dir, { PORT: '0', HOST: '127.0.0.1', IP_RATE_PER_MINUTE: '100000' });
});
afterAll(() => {
  console.info(`fault-services: ${JSON.stringify(tally)}`);
  tmp?.remove();
});

/** A TCP proxy to host:port that can be cut (every connection dropped, new ones refused) and restored. */
async function cuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server!.address() as { port: number }).port;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    async cut() {
      const s = server!;
      server = null;
      const closed = new Promise((r) => s.close(r));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restore: listen,
    async close() {
      if (server) await this.cut();
    },
  };
}

// In CI (CI=true) PostgreSQL is a required fixture: there a missing DATABASE_URL fails this test.
describe.skipIf(!process.env.DATABASE_URL && !process.env.CI)(
  'the PostgreSQL server going away under a running server',
  () => {
    it('makes /readyz false and requests 503 with a reason, and recovers without a restart', async () => {
      expect(process.env.DATABASE_URL, 'DATABASE_URL (PostgreSQL) is required in CI').toBeTruthy();
      const direct = new URL(process.env.DATABASE_URL!);
      const proxy = await cuttableProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const schema = await postgresSchema(process.env.DATABASE_URL!, `fault_away_${process.pid}`);
      const viaProxy = new URL(schema.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const cfg = { ...config, DATABASE_URL: viaProxy.toString() };
      const rag = await openRag(cfg);
      const server = await runServer(cfg, rag, { sources: corpusBackedSources(), print: () => undefined });
      try {
        await rag.ingest(corpusSlice(CORPUS_DIR, SLICE.slice(0, 2)));
        const c = new ApiClient(viaUrl(server.url));
        await c.signup('away@example.com');
        const { body: conv } = await c.json<{ id: string }>('/api/conversations', {
          json: { title: 'before' },
        });
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

        await proxy.cut();
        tally.faults++;
        const ready = await fetch(`${server.url}/readyz`);
        expect([ready.status, ((await ready.json()) as ErrorJson).error.code]).toEqual([
          503,
          'store_unreachable',
        ]);
        for (const [p, json] of [
          ['/api/search', { query: 'piv loop' }],
          ['/api/conversations', { title: 'during' }],
          ['/api/videos', undefined],
        ] as const) {
          const res = await c.json<ErrorJson>(p, json ? { json } : {});
          expect([p, res.status, res.body.error.code]).toEqual([p, 503, 'store_error']);
          expect(res.body.error.message).toMatch(/^the store is unavailable \(request [\w-]+\)$/);
        }
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

        await proxy.restore();
        await expect
          .poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 30_000 })
          .toBe(200);
        expect((await c.json('/api/search', { json: { query: 'piv loop' } })).status).toBe(200);
        expect((await c.json(`/api/conversations/${conv.id}`)).status).toBe(200);
        expect((await c.json('/api/conversations', { json: { title: 'after' } })).status).toBe(201);
      } finally {
        await server.close();
        await rag.close();
        await proxy.close();
        await schema.drop();
      }
    }, 120_000);
  },
);

/** A Messages API that never answers, or starts a stream and cuts it: what the scripted server cannot do. */
async function brokenModel(mode: 'hang' | 'cut') {
  let requests = 0;
  // kit's close() destroys every open connection, the hung ones too.
  const server = await serveHttp((req, res) => {
    requests++;
    req.resume();
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const event = (type: string, data: unknown) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    event('message_start', {
      type: 'message_start',
      message: {
        id: `msg_${randomUUID()}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-test',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    });
    event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'The PIV loop has three ' },
    });
    // No message_stop: the connection dies midway.
    setImmediate(() => res.socket?.destroy());
  });
  return { url: server.url, requests: () => requests, close: server.close };
}

describe('the model endpoint failing', () => {
  let store: Rag;
  beforeAll(async () => {
    store = await openRag(config, { db: await freshPglite() });
    await store.ingest(corpusSlice(CORPUS_DIR, SLICE.slice(0, 2)));
  });
  afterAll(async () => store?.close());

  /** A server answered by Claude at `baseURL` with two retries and a short deadline. */
  async function serve(baseURL: string, timeoutMs = 500) {
    const cfg = { ...config, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: baseURL };
    const answerer = new ClaudeAnswerer({
      apiKey: 'test-key',
      baseURL,
      model: 'claude-test',
      maxRetries: 2,
      timeoutMs,
    });
    const rag = await openRag(cfg, { db: store.db, answerer });
    const server = await runServer(cfg, rag, { sources: corpusBackedSources(), print: () => undefined });
    const c = new ApiClient(viaUrl(server.url));
    await c.signup(`model-${randomUUID().slice(0, 8)}@example.com`);
    return { server, c };
  }

  const modelUsageRows = async () =>
    (await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_usage')).rows[0]!.n;

  /** Asks into a fresh conversation; returns the outcome and what the failure left behind. */
  async function askAndCheck(c: ApiClient, stream: boolean) {
    const { body: conv } = await c.json<{ id: string }>('/api/conversations', { json: {} });
    const reservedBefore = await modelUsageRows();
    const res = await c.request('/api/ask', {
      json: { question: KNOWN_QUESTION, conversationId: conv.id },
      headers: { accept: stream ? 'text/event-stream' : 'application/json' },
    });
    const text = await res.text();
    const error = stream
      ? (JSON.parse(parseSse(text).find((e) => e.event === 'error')?.data ?? 'null') as ErrorJson | null)
      : res.status >= 400
        ? (JSON.parse(text) as ErrorJson)
        : null;
    const stored = (await c.json<{ messages: unknown[] }>(`/api/conversations/${conv.id}`)).body.messages
      .length;
    const used = ((await c.me()).limits as { usedToday: number }).usedToday;
    tally.faults++;
    tally.lost += stored; // a failed exchange must leave nothing half-written
    return { status: res.status, error, stored, used, reserved: (await modelUsageRows()) - reservedBefore };
  }

  const errorReply = (status: number, type: string): AnthropicReply => ({
    kind: 'error',
    status,
    type,
    message: `scripted ${type}`,
    headers: { 'retry-after-ms': '5' },
  });

  it.each([
    [429, 'rate_limit_error', 503, 'llm_rate_limited'],
    [500, 'api_error', 502, 'llm_api_error'],
    [529, 'overloaded_error', 503, 'llm_overloaded'],
  ])('%i %s: three tries, then %i %s, nothing stored or charged', async (status, type, httpStatus, code) => {
    const model = await startAnthropicServer(() => errorReply(status, type));
    const { server, c } = await serve(model.url);
    try {
      for (const stream of [false, true]) {
        const before = model.requests.length;
        const out = await askAndCheck(c, stream);
        expect(model.requests.length - before).toBe(3);
        if (!stream) expect(out.status).toBe(httpStatus);
        expect(out.error?.error.code).toBe(code);
        expect(out).toMatchObject({ stored: 0, used: 0, reserved: 0 });
      }
    } finally {
      await server.close();
      await model.close();
    }
  });

  it('recovers within its retries: an overloaded reply, then an answer', async () => {
    let n = 0;
    const model = await startAnthropicServer(() =>
      n++ === 0
        ? errorReply(529, 'overloaded_error')
        : { text: 'The PIV loop has three stages: plan, implement and validate [1].' },
    );
    const { server, c } = await serve(model.url);
    try {
      const res = await c.json<{ answer: string }>('/api/ask', { json: { question: KNOWN_QUESTION } });
      expect([res.status, res.body.answer]).toEqual([
        200,
        expect.stringContaining('plan, implement and validate'),
      ]);
      expect(model.requests).toHaveLength(2);
    } finally {
      await server.close();
      await model.close();
    }
  });

  it.each(['hang', 'cut'] as const)(
    'a model that %s: bounded tries, a clear error, nothing half-written',
    async (mode) => {
      const model = await brokenModel(mode);
      // Each try of a model that never answers waits out the whole deadline: a short one (no reply
      // is ever coming) keeps the three tries cheap. The cut stream keeps 500 ms to start in.
      const { server, c } = await serve(model.url, mode === 'hang' ? 150 : 500);
      try {
        for (const stream of [false, true]) {
          const before = model.requests();
          const started = Date.now();
          const out = await askAndCheck(c, stream);
          expect(Date.now() - started).toBeLessThan(20_000);
          expect(model.requests() - before).toBeLessThanOrEqual(3);
          expect(out.error?.error.code).toBe('llm_unavailable');
          expect(out.error?.error.message.length).toBeGreaterThan(10);
          expect(out).toMatchObject({ stored: 0, used: 0, reserved: 0 });
        }
      } finally {
        await server.close();
        await model.close();
      }
    },
  );
});

/**
 * Issue 8, items 4-6, on PGlite and (with DATABASE_URL) PostgreSQL, through the real app:
 * NUL bytes are refused with a reason (they gave 500s), a failed ask costs nothing, the ingest
 * lease is exclusive and per run, a dead run's status comes from its lease (and its holder no
 * longer blocks admin ingestion), a sync with failures says so, YouTube requests have a deadline.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { type LocalServer, listenLocal } from '@dark-factory/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../src/accounts/admins.ts';
import type { Config } from '../src/config.ts';
import { runServer } from '../src/http/serve.ts';
import { corpusSource } from '../src/ingest/sources.ts';
import { fetchYoutubeTranscript } from '../src/ingest/youtube.ts';
import { logger } from '../src/log.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { acquireLease, holderIsGone, readLease } from '../src/sync/lease.ts';
import { defaultSources } from '../src/sync/sources.ts';
import { createSyncer, INGEST_LEASE } from '../src/sync/syncer.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
import {
  ApiClient,
  CORPUS_DIR,
  corpusBackedSources,
  corpusSlice,
  makeApp,
  manualClock,
  SLICE,
  tempDir,
  testConfig,
  viaApp,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };

let tmp: ReturnType<typeof tempDir>;
let config: Config;
const quiet = logger.child({}, { level: 'silent' });

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/** A TCP server that accepts every connection and never says a word (YouTube "unreachable"). */
function blackHole(): Promise<LocalServer> {
  // kit's listenLocal tracks the connections, so close() ends the silent ones too.
  return listenLocal(createServer((s) => s.on('error', () => undefined)));
}

let hole: LocalServer;
/** Every request goes to the black hole instead of YouTube. */
const toHoleFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  return fetch(`${hole.url}${url.pathname}${url.search}`, init);
};

beforeAll(async () => {
  hole = await blackHole();
  tmp = tempDir('rag-server-reliability');
  config = testConfig(tmp.dir, { IP_RATE_PER_MINUTE: '10000', DAILY_MESSAGE_CAP: '5' });
});
afterAll(async () => {
  await hole?.close();
  tmp?.remove();
});

// On PGlite a copy of the blank template (no initdb), migrated and filled by the real openRag.
describe.each(templateStoreTargets())('on $name', (target) => {
  let rag: Rag;
  const time = manualClock();

  beforeAll(async () => {
    rag = await openRag(config, { db: await target.open() });
    expect((await rag.ingest(corpusSlice(CORPUS_DIR, SLICE.slice(0, 2)))).added).toBe(2);
  });
  afterAll(async () => rag?.close());

  async function signedIn(app: ReturnType<typeof makeApp>['app'], email: string, admin = false) {
    const c = new ApiClient(viaApp(app));
    await c.signup(email);
    if (admin) expect(await grantAdmin(rag.db, email)).toBe('granted');
    return c;
  }

  describe('NUL bytes (item 6)', () => {
    it('answers 400 with a reason on every route that gave a 500, and the store is fine after', async () => {
      const { app } = makeApp(rag, config, { clock: time.clock });
      const c = await signedIn(app, `nul-${target.name}@example.com`, true);
      const { body: conv } = await c.json<{ id: string }>('/api/conversations', { json: { title: 'ok' } });

      const cases: [string, Promise<{ status: number; body: ErrorJson }>][] = [
        ['POST title', c.json('/api/conversations', { json: { title: 'a\u0000b' } })],
        [
          'PATCH title',
          c.json(`/api/conversations/${conv.id}`, { method: 'PATCH', json: { title: 'a\u0000b' } }),
        ],
        ['videos q', c.json('/api/videos?q=%00')],
        ['conversation search q', c.json('/api/conversations/search?q=%00')],
        ['ask', c.json('/api/ask', { json: { question: 'what is\u0000 the piv loop?' } })],
        ['search', c.json('/api/search', { json: { query: 'piv\u0000' } })],
      ];
      for (const [what, pending] of cases) {
        const res = await pending;
        expect([what, res.status, res.body.error.code]).toEqual([what, 400, 'invalid_input']);
        expect(res.body.error.message).toMatch(/contains a NUL byte/);
      }
      const del = await c.json<ErrorJson>('/api/admin/videos/%00', { method: 'DELETE' });
      expect([del.status, del.body.error.code]).toEqual([404, 'video_not_found']);
      const sse = await c.request('/api/ask', {
        json: { question: '\u0000' },
        headers: { accept: 'text/event-stream' },
      });
      expect(sse.status).toBe(400);

      // Nothing was charged, nothing renamed, and the store still answers.
      expect((await c.me()).limits).toMatchObject({ usedToday: 0 });
      expect((await c.json<{ title: string }>(`/api/conversations/${conv.id}`)).body.title).toBe('ok');
      expect((await c.json<{ total: number }>('/api/videos?q=a')).status).toBe(200);
    });

    it('charges nothing when the answer cannot be stored (JSON and SSE)', async () => {
      // The conversation is deleted (in another tab) while the answer is being written.
      const racing: Rag = {
        ...rag,
        ask: async (q, o) => {
          const result = await rag.ask(q, o);
          await rag.db.query('DELETE FROM conversations WHERE title = $1', ['doomed']);
          return result;
        },
      };
      const { app } = makeApp(racing, config, { clock: time.clock });
      const c = await signedIn(app, `race-${target.name}@example.com`);
      for (const accept of ['application/json', 'text/event-stream']) {
        const { body: conv } = await c.json<{ id: string }>('/api/conversations', {
          json: { title: 'doomed' },
        });
        const res = await c.request('/api/ask', {
          json: { question: 'What is the PIV loop?', conversationId: conv.id },
          headers: { accept },
        });
        const text = await res.text();
        if (accept === 'application/json') expect(res.status).toBe(404);
        else expect(text).toContain('event: error');
        expect(text).toContain('conversation_not_found');
      }
      expect((await c.me()).limits).toMatchObject({ usedToday: 0 });
    });
  });

  describe('the ingest lease and run status (items 4 and 5)', () => {
    it('is exclusive within one process: a second add while one runs is refused, and each run releases only its own lease', async () => {
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const backed = corpusBackedSources();
      const syncer = createSyncer({
        db: rag.db,
        rag,
        clock: time.clock,
        logger: quiet,
        holder: `${hostname()}:${process.pid}:same`,
        sources: {
          async *youtube(refs) {
            await gate;
            yield* backed.youtube(refs);
          },
          corpus: backed.corpus,
        },
      });
      const first = await syncer.start('admin-add', { refs: ['m8VC2SV2igM'], dirs: [] });
      await expect(syncer.start('admin-resync', { refs: ['m8VC2SV2igM'], dirs: [] })).rejects.toMatchObject({
        code: 'sync_busy', // a SyncError; http/errors.ts answers it with 409 (server-api tests that)
      });
      expect((await syncer.status()).runs[0]).toMatchObject({ id: first.runId, status: 'running' });

      // The first run's lease runs out (a long stall) and someone else takes it over.
      time.advance(61_000);
      expect(await acquireLease(rag.db, INGEST_LEASE, 'another-machine:1:x:1', 60_000, time.clock())).toBe(
        true,
      );
      open();
      expect((await first.done)?.added).toBe(1);
      // Finishing did not release the lease it no longer holds.
      expect((await readLease(rag.db, INGEST_LEASE, time.clock()))?.holder).toBe('another-machine:1:x:1');
      time.advance(61_000);
      await rag.removeVideo('m8VC2SV2igM');
    });

    it('calls a dead run interrupted, takes over its lease at once, and says partial or failed when items failed', async () => {
      const { app } = makeApp(rag, config, { clock: time.clock });
      const admin = await signedIn(app, `sync-${target.name}@example.com`, true);
      const dead = `${hostname()}:${deadPid()}:deadbeef:1`;
      expect(holderIsGone(dead)).toBe(true);
      await acquireLease(rag.db, INGEST_LEASE, dead, 60_000, time.clock());
      await rag.db.query(
        `INSERT INTO sync_runs (trigger, holder, refs, status, started_at) VALUES ('bootstrap', $1, '{"refs":[],"dirs":[]}', 'running', $2)`,
        [dead, time.clock()],
      );
      type Status = {
        sync: { lease: unknown; runs: { trigger: string; status: string; error: string | null }[] };
      };
      const before = await admin.json<Status>('/api/admin/status');
      expect(before.body.sync.lease).toBeNull();
      expect(before.body.sync.runs[0]).toMatchObject({ trigger: 'bootstrap', status: 'interrupted' });

      // No 409 for a holder that is gone: the add runs now.
      const added = await admin.json<{ status: string; summary: { added: number } }>('/api/admin/videos', {
        json: { ref: 'm8VC2SV2igM' },
      });
      expect([added.status, added.body.status, added.body.summary.added]).toEqual([200, 'done', 1]);
      const stored = await rag.db.query<{ status: string }>(
        'SELECT status FROM sync_runs WHERE holder = $1',
        [dead],
      );
      expect(stored.rows).toEqual([{ status: 'interrupted' }]);

      // One of two items failed: partial, with the reason; all failed: failed (502 for the admin).
      const syncer = createSyncer({
        db: rag.db,
        rag,
        clock: time.clock,
        logger: quiet,
        holder: 'test:1:partial',
        sources: corpusBackedSources(),
      });
      const partial = await syncer.run('admin-add', { refs: ['m8VC2SV2igM', 'zzzzzzzzzzz'], dirs: [] });
      const runs = (await syncer.status(1)).runs;
      expect(runs[0]).toMatchObject({ id: partial.runId, status: 'partial' });
      expect(runs[0]!.error).toMatch(/^1 of 2 failed; first: zzzzzzzzzzz: no captions/);
      const failed = await admin.json<ErrorJson>('/api/admin/videos', { json: { ref: 'zzzzzzzzzzz' } });
      expect([failed.status, failed.body.error.code]).toEqual([422, 'ingest_failed']);
      expect((await syncer.status(1)).runs[0]!.status).toBe('failed');
      await rag.removeVideo('m8VC2SV2igM');
    });
  });

  it('resumes a first corpus load that died midway, and is not ready until the library is whole (item 4)', async () => {
    const dir = path.join(tmp.dir, `corpus-${target.name}`);
    mkdirSync(dir, { recursive: true });
    const slugs = SLICE.slice(2, 5);
    for (const slug of slugs) symlinkSync(path.join(CORPUS_DIR, `${slug}.md`), path.join(dir, `${slug}.md`));
    // The state a kill -9 left: one video of three in, the run still "running", its lease held.
    expect((await rag.ingest(corpusSlice(dir, slugs.slice(0, 1)))).added).toBe(1);
    const dead = `${hostname()}:${deadPid()}:cafe:1`;
    await acquireLease(rag.db, INGEST_LEASE, dead, 60_000, new Date());
    await rag.db.query(
      `INSERT INTO sync_runs (trigger, holder, refs, status, started_at) VALUES ('bootstrap', $1, $2, 'running', now())`,
      [dead, JSON.stringify({ refs: [], dirs: [dir] })],
    );

    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const backed = corpusBackedSources();
    const sources = {
      youtube: backed.youtube,
      async *corpus(d: string) {
        let n = 0;
        for await (const item of corpusSource(d)) {
          if (n++ === 1) await gate;
          yield item;
        }
      },
    };
    const bootstrapRuns = async () =>
      (
        await rag.db.query<{ status: string; refs: { dirs: string[] }; summary: unknown }>(
          `SELECT status, refs, summary FROM sync_runs WHERE trigger = 'bootstrap' ORDER BY id`,
        )
      ).rows.filter((r) => r.refs.dirs.includes(dir));
    const serverConfig = { ...config, CORPUS_DIR: dir, HOST: '127.0.0.1', PORT: 0 };
    const server = await runServer(serverConfig, rag, { sources, print: () => undefined });
    try {
      const readyz = async () => {
        const res = await fetch(`${server.url}/readyz`);
        return { status: res.status, body: (await res.json()) as ErrorJson & { videos?: number } };
      };
      const loading = await readyz();
      expect([loading.status, loading.body.error.code]).toEqual([503, 'corpus_loading']);
      expect((await bootstrapRuns()).map((r) => r.status)).toEqual(['interrupted', 'running']);

      open();
      await expect.poll(async () => (await readyz()).status, { timeout: 60_000, interval: 100 }).toBe(200);
      for (const slug of slugs) {
        const videoId = /youtube_id: (\S+)/.exec(readFileSync(path.join(dir, `${slug}.md`), 'utf8'))?.[1];
        expect(videoId && (await rag.getVideo(videoId))?.chunks).toBeGreaterThan(0);
      }
      expect((await bootstrapRuns()).at(-1)).toMatchObject({
        status: 'done',
        summary: { added: 2, skipped: 1 },
      });
    } finally {
      open();
      await server.close();
    }
    // Once whole, a restart loads nothing again.
    const again = await runServer(serverConfig, rag, { sources, print: () => undefined });
    await again.close();
    expect(await bootstrapRuns()).toHaveLength(2);
  });

  it('answers the admin add with the reason in seconds, not after 10 minutes', async () => {
    const { app } = makeApp(rag, config, { sources: defaultSources({ fetch: toHoleFetch, timeoutMs: 300 }) });
    const admin = await signedIn(app, `timeout-${target.name}@example.com`, true);
    const started = Date.now();
    const res = await admin.json<ErrorJson>('/api/admin/videos', { json: { ref: 'm8VC2SV2igM' } });
    expect([res.status, res.body.error.code]).toEqual([422, 'ingest_failed']);
    expect(res.body.error.message).toMatch(/no answer from https:\/\/www\.youtube\.com\/\S+ within 300 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('outbound requests have a deadline (item 5)', () => {
  const toHole = toHoleFetch;

  it('fails a transcript fetch from a server that never answers in the configured time', async () => {
    const started = Date.now();
    await expect(fetchYoutubeTranscript('m8VC2SV2igM', { fetch: toHole, timeoutMs: 300 })).rejects.toThrow(
      /within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

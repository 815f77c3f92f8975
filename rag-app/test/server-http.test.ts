/**
 * The service over a real port: runServer as `pnpm start` runs it, SSE over a socket with a
 * streaming model (the Anthropic test server), GitHub issues through the fake GitHub API, the
 * first-run corpus bootstrap, and the scheduled sync under its lease.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { runServer } from '../src/http/serve.ts';
import { logger } from '../src/log.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { createSyncer } from '../src/sync/syncer.ts';
import type { AskResult } from '../src/types.ts';
import { type AnthropicServer, startAnthropicServer } from './support/anthropic-server.ts';
import { freshPglite, openSliceRagFromTemplate } from './support/pglite-templates.ts';
import {
  ApiClient,
  CORPUS_DIR,
  corpusBackedSources,
  KNOWN_QUESTION,
  manualClock,
  parseSse,
  SLICE,
  tempDir,
  testConfig,
  viaUrl,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let rag: Rag;
const closers: (() => Promise<void>)[] = [];

async function start(
  overrides: Partial<Config>,
  withRag: Rag = rag,
  extra: Parameters<typeof runServer>[2] = {},
) {
  const lines: string[] = [];
  const server = await runServer({ ...config, ...overrides }, withRag, {
    sources: corpusBackedSources(),
    print: (line) => lines.push(line),
    ...extra,
  });
  closers.push(() => server.close());
  return { ...server, lines };
}

beforeAll(async () => {
  tmp = tempDir('rag-server-http');
  config = testConfig(tmp.dir, { PORT: '0', HOST: '127.0.0.1', IP_RATE_PER_MINUTE: '10000' });
  rag = await openSliceRagFromTemplate(config);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await rag?.close();
  tmp?.remove();
});

describe('runServer', () => {
  it('listens on HOST:PORT, prints the URL, serves the page, the assets and the API', async () => {
    const server = await start({});
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // No admin in this store yet: the one-time setup link follows (on stdout, not in the logs).
    expect(server.lines).toHaveLength(2);
    expect(server.lines[0]).toBe(`rag-app listening on ${server.url}`);
    expect(server.lines[1]).toMatch(
      new RegExp(
        `^rag-app: no admin yet: open ${server.url.replace(/\./g, '\\.')}/admin/setup\\?token=[\\w-]{43} to claim it \\(valid until restart\\)$`,
      ),
    );

    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('frame-src https://www.youtube-nocookie.com');
    const html = await page.text();
    expect(html).toMatch(/<script type="module" src="\/static\/app\.js\?v=\w+"><\/script>/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.youtube-nocookie)/);

    const js = await fetch(`${server.url}/static/app.js`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${server.url}/static/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    expect((await fetch(`${server.url}/static/..%2Fshell.ts`)).status).toBe(404);
    expect((await fetch(`${server.url}/static/missing.js`)).status).toBe(404);
  });

  it('uses the real socket address for the per-IP limit', async () => {
    const server = await start({ IP_RATE_PER_MINUTE: 2 });
    const c = new ApiClient(viaUrl(server.url));
    expect((await c.request('/api/search', { json: { query: 'piv loop' } })).status).toBe(200);
    expect((await c.request('/api/search', { json: { query: 'piv loop' } })).status).toBe(200);
    const over = await c.json<ErrorJson>('/api/search', { json: { query: 'piv loop' } });
    expect([over.status, over.body.error.code]).toEqual([429, 'rate_limited']);
    const rows = await rag.db.query<{ bucket: string }>(
      "SELECT bucket FROM rate_windows WHERE bucket LIKE 'ip:%127.0.0.1'",
    );
    expect(rows.rows.length).toBeGreaterThan(0);
  });
});

describe('anonymous mode on a loopback bind', () => {
  it('makes each visitor a guest of their own, never an admin, and claims admin only with the printed link', async () => {
    const server = await start({ ALLOW_ANONYMOUS: true, HOST: '127.0.0.1' });
    const a = new ApiClient(viaUrl(server.url));
    const b = new ApiClient(viaUrl(server.url));
    await Promise.all([a.me(), b.me()]);
    const { body: convA } = await a.json<{ id: string }>('/api/conversations', { json: { title: 'a' } });
    await b.json('/api/conversations', { json: { title: 'b' } });
    const [userA, userB] = [(await a.me()).user!, (await b.me()).user!];
    expect(userA).toMatchObject({ anonymous: true, isAdmin: false });
    expect(userB).toMatchObject({ anonymous: true, isAdmin: false });
    expect(userA.id).not.toBe(userB.id);
    expect((await b.request(`/api/conversations/${convA.id}`)).status).toBe(404);
    for (const c of [a, b]) expect((await c.request('/api/admin/status')).status).toBe(403);

    // The operator opens the link the server printed, signed in with an account.
    const link = new URL(/open (\S+) to claim it/.exec(server.lines[1]!)![1]!);
    expect(link.pathname).toBe('/admin/setup');
    const page = await fetch(link);
    expect([page.status, (await page.text()).includes('data-page="setup"')]).toEqual([200, true]);
    const operator = new ApiClient(viaUrl(server.url));
    await operator.signup('operator@example.com');
    const token = link.searchParams.get('token')!;
    const claimed = await operator.json('/api/admin-setup', { json: { token } });
    expect(claimed.status).toBe(200);
    expect((await operator.request('/api/admin/status')).status).toBe(200);
    expect((await operator.json('/api/admin-setup', { json: { token } })).status).toBe(410);
    expect((await a.request('/api/admin/status')).status).toBe(403);

    // With an admin in the store, a restarted server prints no link.
    const again = await start({ ALLOW_ANONYMOUS: true, HOST: '127.0.0.1' });
    expect(again.lines).toEqual([`rag-app listening on ${again.url}`]);
  });

  it('counts X-Forwarded-For only behind a trusted proxy', async () => {
    const bucketsFor = async (ip: string) =>
      (await rag.db.query('SELECT 1 FROM rate_windows WHERE bucket = $1', [`ip:${ip}`])).rows.length;
    const plain = await start({});
    const headers = { 'x-forwarded-for': '192.0.2.201' };
    expect(
      (await new ApiClient(viaUrl(plain.url)).request('/api/search', { json: { query: 'piv' }, headers }))
        .status,
    ).toBe(200);
    expect(await bucketsFor('192.0.2.201')).toBe(0);

    const proxied = await start({ TRUSTED_PROXIES: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }] });
    expect(
      (await new ApiClient(viaUrl(proxied.url)).request('/api/search', { json: { query: 'piv' }, headers }))
        .status,
    ).toBe(200);
    expect(await bucketsFor('192.0.2.201')).toBe(1);
  });
});

describe('streaming over a socket', () => {
  let anthropic: AnthropicServer;
  afterAll(async () => anthropic?.close());

  it('sends tokens as the model produces them, then the final answer', async () => {
    // Text reaches the client as each citation mark grounds it (an uncited tail is held back), so
    // a reply of several cited sentences streams in several pieces.
    const reply = [
      'The PIV loop has three stages: plan, implement and validate [1].',
      'You plan first [1].',
      'Then you implement [1].',
      'Then you validate [2].',
      'You repeat it per feature [2].',
      'Each round is small [2].',
      'That keeps the agent on track [1].',
    ].join(' ');
    anthropic = await startAnthropicServer([{ text: reply, delayMs: 40 }]);
    // Same store, Claude as the answerer.
    const claudeConfig = { ...config, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: anthropic.url };
    const claudeRag = await openRag(claudeConfig, { db: rag.db });
    const server = await start({}, claudeRag);
    const c = new ApiClient(viaUrl(server.url));
    await c.signup('streamer@example.com');

    const res = await c.request('/api/ask', {
      json: { question: KNOWN_QUESTION },
      headers: { accept: 'text/event-stream' },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const arrivals: { at: number; text: string }[] = [];
    let all = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now(), text: value });
      all += value;
    }
    const events = parseSse(all);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(5);
    // Streamed for real: the first token reached us well before the last byte.
    const firstToken = arrivals.find((a) => a.text.includes('event: token'))!;
    expect(arrivals.at(-1)!.at - firstToken.at).toBeGreaterThan(200);
    const done = JSON.parse(events.at(-1)!.data) as AskResult;
    expect(events.at(-1)!.event).toBe('done');
    expect(done.refused).toBe(false);
    expect(done.answer).toContain('plan, implement and validate');
    expect(done.citations).toHaveLength(2);
    expect(done.usage?.model).toBeTruthy();
    expect(tokens.map((e) => (JSON.parse(e.data) as { text: string }).text).join('')).toBe(done.answer);
  });
});

describe('report a problem to GitHub', () => {
  let github: GitHubServer;
  afterAll(async () => github?.close());

  it('files through the GitHub API when GITHUB_TOKEN and GITHUB_REPOSITORY are set', async () => {
    github = await startGitHubServer({ owner: 'acme', repo: 'rag', token: 'gh-test-token' });
    const server = await start({
      GITHUB_TOKEN: 'gh-test-token',
      GITHUB_REPOSITORY: 'acme/rag',
      GITHUB_API_URL: github.url,
    });
    const c = new ApiClient(viaUrl(server.url));
    await c.signup('gh@example.com');
    const { body: conv } = await c.json<{ id: string }>('/api/conversations', { json: {} });
    const { body: answer } = await c.json<AskResult & { messageId: number }>('/api/ask', {
      json: { question: KNOWN_QUESTION, conversationId: conv.id },
    });
    const filed = await c.json<{ number: number; url: string }>('/api/issues', {
      json: { messageId: answer.messageId, comment: 'Missing the third stage.' },
    });
    expect(filed.status).toBe(201);
    const issue = github.state.issues.get(filed.body.number)!;
    expect(issue.title).toBe(`Problem report: ${KNOWN_QUESTION}`);
    expect(issue.labels).toEqual(['user-report']);
    expect(issue.body).toContain('> Missing the third stage.');
    expect(issue.body).toContain(answer.citations[0]!.url);
    expect(filed.body.url).toContain('/acme/rag/issues/');

    github.script({
      method: 'POST',
      path: '/repos/acme/rag/issues',
      status: 500,
      body: { message: 'boom' },
      times: 5,
    });
    const failed = await c.json<ErrorJson>('/api/issues', {
      json: { question: 'q', answer: 'a', comment: 'x' },
    });
    expect([failed.status, failed.body.error.code]).toEqual([502, 'forge_unavailable']);
  });
});

describe('first run and scheduled sync', () => {
  let fresh: Rag;
  const corpusDir = () => path.join(tmp.dir, 'mini-corpus');

  beforeAll(async () => {
    // A two-video corpus directory (links to the shared files, nothing copied).
    mkdirSync(corpusDir(), { recursive: true });
    for (const slug of SLICE.slice(0, 2))
      symlinkSync(path.join(CORPUS_DIR, `${slug}.md`), path.join(corpusDir(), `${slug}.md`));
    fresh = await openRag(config, { db: await freshPglite() });
  });
  afterAll(async () => fresh?.close());

  it('serves at once on an empty store and loads CORPUS_DIR behind, readyz telling when', async () => {
    const server = await start({ CORPUS_DIR: corpusDir() }, fresh);
    const first = await fetch(`${server.url}/readyz`);
    const states = [first.status];
    const deadline = Date.now() + 60_000;
    while (states.at(-1) !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      states.push((await fetch(`${server.url}/readyz`)).status);
    }
    expect(states[0]).toBe(503);
    expect(states.at(-1)).toBe(200);
    const runs = async () =>
      (await fresh.db.query<{ trigger: string; status: string }>('SELECT trigger, status FROM sync_runs'))
        .rows;
    while ((await runs())[0]?.status === 'running' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await runs()).toEqual([{ trigger: 'bootstrap', status: 'done' }]);
    expect((await fresh.stats()).videos).toBe(2);
  });

  it('runs the scheduled sync on its interval, one run at a time across two processes', async () => {
    const slow = corpusBackedSources();
    // Two "processes" over one store, each with its own syncer on a 60 ms schedule.
    const syncers = ['proc-a', 'proc-b'].map((holder) =>
      createSyncer({
        db: fresh.db,
        rag: fresh,
        clock: () => new Date(),
        logger: logger.child({ test: holder }, { level: 'silent' }),
        holder,
        sources: {
          async *youtube(refs) {
            await new Promise((r) => setTimeout(r, 150));
            yield* slow.youtube(refs);
          },
          corpus: slow.corpus,
        },
      }),
    );
    const overlap: number[] = [];
    const watch = setInterval(async () => {
      const { rows } = await fresh.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM sync_runs WHERE status = 'running'",
      );
      overlap.push(rows[0]!.n);
    }, 20);
    for (const s of syncers) s.schedule(0.001, async () => ({ refs: ['m8VC2SV2igM'], dirs: [] }));
    const scheduled = async () =>
      (
        await fresh.db.query<{ trigger: string; status: string; holder: string; summary: { added: number } }>(
          `SELECT trigger, status, holder, summary FROM sync_runs WHERE trigger = 'schedule' ORDER BY id`,
        )
      ).rows;
    // Until both processes have each finished a run (and three in all): a condition, not a time.
    const holderOf = (h: string) => h.split(':')[0];
    await expect
      .poll(
        async () => {
          const done = (await scheduled()).filter((r) => r.status === 'done');
          return done.length >= 3 && new Set(done.map((r) => holderOf(r.holder))).size === 2;
        },
        { timeout: 60_000, interval: 50 },
      )
      .toBe(true);
    for (const s of syncers) await s.stop();
    clearInterval(watch);

    const runs = await scheduled();
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.status === 'done')).toBe(true);
    expect(runs[0]!.summary.added).toBe(1);
    // Never two at once (sampled every 20 ms).
    expect(Math.max(...overlap)).toBeLessThanOrEqual(1);
    expect(new Set(runs.map((r) => holderOf(r.holder)))).toEqual(new Set(['proc-a', 'proc-b']));
    expect((await fresh.getVideo('m8VC2SV2igM'))?.title).toBeTruthy();
  });

  it('takes over a lease whose holder died, and only then', async () => {
    const time = manualClock();
    const mk = (holder: string) =>
      createSyncer({
        db: fresh.db,
        rag: fresh,
        clock: time.clock,
        logger: logger.child({}, { level: 'silent' }),
        holder,
        sources: corpusBackedSources(),
      });
    const { acquireLease } = await import('../src/sync/lease.ts');
    expect(await acquireLease(fresh.db, 'ingest', 'crashed-process', 5 * 60_000, time.clock())).toBe(true);
    const survivor = mk('survivor');
    await expect(survivor.run('admin-add', { refs: ['m8VC2SV2igM'], dirs: [] })).rejects.toMatchObject({
      code: 'sync_busy',
    });
    time.advance(5 * 60_000 + 1);
    const { summary } = await survivor.run('admin-add', { refs: ['m8VC2SV2igM'], dirs: [] });
    expect(summary?.skipped).toBe(1);
    expect((await survivor.status()).lease).toBeNull();
  });
});

describe('local forge default', () => {
  it('files to the local forge in FORGE_DIR when GitHub is not configured', async () => {
    const server = await start({});
    const c = new ApiClient(viaUrl(server.url));
    await c.signup('local@example.com');
    const filed = await c.json<{ number: number; url: string }>('/api/issues', {
      json: { question: 'q?', answer: 'a.', comment: 'local please' },
    });
    expect(filed.status).toBe(201);
    const issue = await new LocalForge({ dir: config.forgeDir }).getIssue(filed.body.number);
    expect(issue.body).toContain('> local please');
  });
});

/**
 * The single-owner rule of the embedded store (issue 8, item 1): a second process on one PGlite
 * directory corrupted it. Now the directory has one owner (owner.json); the CLI commands people run
 * beside `pnpm start` go through the server's local API; anything else gets one line naming the holder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextSink } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { remoteAsk } from '../src/cli/remote.ts';
import { loadConfig } from '../src/config.ts';
import { isSameMachine } from '../src/http/routes/local/routes.ts';
import { localUrl } from '../src/http/serve.ts';
import { fileSource } from '../src/ingest/sources.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { openDb, openPglite } from '../src/store/db.ts';
import {
  inUseMessage,
  type OwnerInfo,
  OwnerInfoSchema,
  ownerFile,
  ownerIsGone,
  StoreInUseError,
} from '../src/store/owner.ts';
import { seedBlankStore } from './support/pglite-templates.ts';
import { tempDir } from './support/server-harness.ts';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'rag-app/test/fixtures/ingest');
const env = (dataDir: string) => ({
  ...process.env,
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  ANTHROPIC_API_KEY: '',
  CORPUS_DIR: '',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  PORT: '0',
});

/**
 * Runs the CLI's `main` in this process, as `pnpm rag …` would beside the server: another process
 * than the one holding the store (the `rag serve` child), with the settings from `env` alone.
 */
async function rag(dataDir: string, ...args: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { env: env(dataDir), cwd: root, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function sink(): TextSink & { text: string } {
  const s = {
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s;
}

/** `rag serve` as a child; resolves with its URL once it prints the listening line. */
function startServe(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn('node', ['--import', 'tsx', 'rag-app/src/cli/main.ts', 'serve'], {
    cwd: root,
    env: env(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /rag-app listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1], exited });
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}${out}`)));
  });
}

const searchFields = (h: Record<string, unknown>) => ({
  videoId: h.videoId,
  title: h.title,
  start: h.start,
  end: h.end,
  url: h.url,
  text: h.text,
  score: h.score,
  citeStart: h.citeStart,
  published: h.published,
  scores: h.scores,
});

describe('one owner per embedded store', () => {
  const tmp = tempDir('rag-owner');
  const dataDir = path.join(tmp.dir, 'data');
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, tmp.dir);
  const corpus = path.join(tmp.dir, 'corpus');
  let expectedSearch: unknown[];
  let expectedAsk: Record<string, unknown>;

  beforeAll(async () => {
    mkdirSync(corpus, { recursive: true });
    for (const f of ['sample.md', 'plain.md']) copyFileSync(path.join(fixtures, f), path.join(corpus, f));
    // A blank store copied in (its initdb is the fault tests' and the template's), then seeded in
    // this process: it is the owner while open, and lets go on close.
    await seedBlankStore(config.pgliteDir);
    const seed = await openRag(config, { embedder: null });
    try {
      const s = await seed.ingest(
        fileSource([path.join(fixtures, 'talk.vtt')], { videoId: 'dQw4w9WgXcQ', title: 'A talk' }),
      );
      expect(s.added).toBe(1);
      expectedSearch = (await seed.search('talk', { k: 10 })).map((h) => searchFields({ ...h }));
      const { timings: _t, usage: _u, ...answer } = await seed.ask('What does the talk say?', { k: 3 });
      expectedAsk = answer;
      // A second open in the same process is refused too: PGlite is never opened twice.
      await expect(openPglite(config.pgliteDir)).rejects.toBeInstanceOf(StoreInUseError);
    } finally {
      await seed.close();
    }
    expect(existsSync(ownerFile(config.pgliteDir))).toBe(false);
  }, 120_000);

  afterAll(() => tmp.remove());

  it('beside a running server: ask/search/ingest go through it, others get one line, SIGTERM frees the store', async () => {
    const server = await startServe(dataDir);
    try {
      const owner = OwnerInfoSchema.parse(JSON.parse(readFileSync(ownerFile(config.pgliteDir), 'utf8')));
      expect(owner).toMatchObject({ pid: server.child.pid, hostname: hostname(), url: server.url });
      expect(owner.api?.token).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(ownerFile(config.pgliteDir)).mode & 0o777).toBe(0o600);

      const [ask, search, refused] = await Promise.all([
        rag(dataDir, 'ask', 'What does the talk say?', '--json', '--k', '3'),
        rag(dataDir, 'search', 'talk', '--json'),
        rag(dataDir, 'reindex'),
      ]);
      expect(ask.code, ask.stderr).toBe(0);
      const answer = JSON.parse(ask.stdout);
      expect(Object.keys(answer).sort()).toEqual(['answer', 'citations', 'refused', 'timings']);
      expect(Object.keys(answer.timings).sort()).toEqual(['answerMs', 'retrieveMs']);
      const { timings: _t, ...rest } = answer;
      expect(rest).toEqual(expectedAsk);
      expect(search.code, search.stderr).toBe(0);
      expect(JSON.parse(search.stdout)).toEqual(expectedSearch);
      expect(search.stdout).toBe(`${JSON.stringify(expectedSearch, null, 2)}\n`);

      // Not something the server can do for it: refused, one line, naming the holder and what to do.
      expect(refused.code).toBe(1);
      const lines = refused.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^rag: store_in_use: the store \\S+pglite is in use by pid ${server.child.pid} \\(rag serve, ${server.url.replace(/[.:/]/g, '\\$&')}, since \\d\\d:\\d\\d\\); stop it first`,
        ),
      );

      // The race: an ingest beside the server. Now the server stores it, and sees it at once.
      const ingest = await rag(dataDir, 'ingest', '--corpus', corpus, '--json', '--verbose');
      expect(ingest.code, ingest.stderr).toBe(0);
      const summary = JSON.parse(ingest.stdout);
      expect(Object.keys(summary).sort()).toEqual([
        'added',
        'chunks',
        'failed',
        'items',
        'seconds',
        'skipped',
        'updated',
      ]);
      expect(summary).toMatchObject({ added: 2, updated: 0, skipped: 0, failed: 0 });
      // Each item's progress line (--verbose) came back as the server stored it.
      expect(ingest.stderr).toMatch(/\[1\/2\] added .*\.md\n\[2\/2\] added .*\.md\n/);
      const ready = await (await fetch(`${server.url}/readyz`)).json();
      expect(ready).toMatchObject({ ready: true, videos: 3 });

      // The streamed answer (what a terminal sees) through the same API, by the real client.
      const tokens: string[] = [];
      const streamed = await remoteAsk(owner.api!, 'What does the talk say?', {
        k: 3,
        onToken: (t) => tokens.push(t),
      });
      expect(tokens.join('')).toBe(streamed.answer);
      // Without the token, or with a wrong one, the local API refuses.
      const wrong = await fetch(`${server.url}/_local/v1/stats`, { headers: { 'x-rag-local-token': 'x' } });
      expect(wrong.status).toBe(401);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    expect(existsSync(ownerFile(config.pgliteDir))).toBe(false);

    // No corruption: the directory opens, with every video once.
    const after: Rag = await openRag(config, { embedder: null });
    try {
      expect(await after.stats()).toMatchObject({ videos: 3 });
    } finally {
      await after.close();
    }
  }, 180_000);

  // Taking over a stale file, telling a reused pid from the owner and the rest of the lock are
  // kit's (kit/test/owner.test.ts); what is rag's is the line a second opener reads.
  it('names a remote holder and what to do', () => {
    const at = new Date(2025, 0, 2, 20, 1);
    const remote: OwnerInfo = {
      pid: 4242,
      hostname: `${hostname()}-other`,
      id: 'a'.repeat(32),
      startedAt: at.toISOString(),
      command: 'x',
    };
    expect(ownerIsGone(remote)).toBe(false);
    expect(inUseMessage('/srv/data/pglite', remote, '/srv', at)).toBe(
      `the store data/pglite is in use by pid 4242 on host ${hostname()}-other (x, since 20:01); stop it; if that process is gone, remove /srv/data/pglite/owner.json`,
    );
  });

  it('answers the local API only on this machine, at an address that reaches the bind', () => {
    expect(isSameMachine('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(isSameMachine('::ffff:127.0.0.1', '::ffff:127.0.0.1')).toBe(true);
    expect(isSameMachine('::1', '::1')).toBe(true);
    // Bound to a LAN address: a connection from that same address is this machine; others are not.
    expect(isSameMachine('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(isSameMachine('192.168.1.9', '192.168.1.5')).toBe(false);
    expect(isSameMachine(undefined, undefined)).toBe(false);
    expect(localUrl('0.0.0.0', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('::', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('fd00::1', 3000)).toBe('http://[fd00::1]:3000');
  });

  it.runIf(Boolean(process.env.DATABASE_URL) || Boolean(process.env.CI))(
    'takes no lock with DATABASE_URL: many processes share a server',
    async () => {
      const dir = path.join(tmp.dir, 'unused');
      const a = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: dir });
      const b = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: dir });
      try {
        expect(a.owner).toBeUndefined();
        expect(b.owner).toBeUndefined();
        expect(existsSync(dir)).toBe(false);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
});

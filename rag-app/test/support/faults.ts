/**
 * For the fault suites: the real CLI and server as child processes (killed with SIGKILL at chosen
 * points), the seed that replays a failing run (FAULT_SEED, for kit's seededRandom), a store per run on
 * PGlite or PostgreSQL, and the check that every video is wholly present or wholly absent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_CHUNK_OPTIONS } from '../../src/ingest/chunk.ts';
import { contentHash, indexChunks } from '../../src/ingest/pipeline.ts';
import { corpusSource } from '../../src/ingest/sources.ts';
import type { Queryable } from '../../src/store/db.ts';
import type { Transcript } from '../../src/types.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const soak = process.env.RAG_SOAK === '1';

export const FAULT_SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

/** A corpus directory of `count` files linked from the shared corpus (nothing copied). */
export function corpusSubset(from: string, to: string, count: number): string {
  mkdirSync(to, { recursive: true });
  const files = readdirSync(from)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .slice(0, count);
  for (const f of files) symlinkSync(path.join(from, f), path.join(to, f));
  return to;
}

export interface Child {
  child: ChildProcess;
  /** Everything written so far, stdout and stderr together. */
  output(): string;
  /** What went to stdout alone. */
  stdout(): string;
  /** Resolves with the first match of `re` in the output (checked on every write). */
  waitFor(re: Pick<RegExp, 'exec'>, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  kill9(): Promise<void>;
}

/** `node --import tsx rag-app/src/cli/main.ts …args`, as `pnpm rag` runs it. */
export function spawnRag(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'rag-app/src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      ANTHROPIC_API_KEY: '',
      CORPUS_DIR: '',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    onData(d);
  });
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    waitFor(re, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re} in:\n${out.slice(-2000)}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          reject(new Error(`exited before ${re}:\n${out.slice(-2000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** What the corpus files say each video must look like in the store: its hash and chunk count. */
export async function expectedVideos(dir: string): Promise<Map<string, { hash: string; chunks: number }>> {
  const expected = new Map<string, { hash: string; chunks: number }>();
  for await (const item of corpusSource(dir)) {
    if (!item.ok) continue;
    const t: Transcript = item.transcript;
    expected.set(t.videoId, {
      hash: contentHash(t, DEFAULT_CHUNK_OPTIONS),
      chunks: indexChunks(t, DEFAULT_CHUNK_OPTIONS).length,
    });
  }
  return expected;
}

/**
 * Every stored video must be whole: its content hash as the file gives it, all its chunks, every
 * chunk with its postings; and nothing may belong to a video that is not there.
 */
export async function checkWhole(
  db: Queryable,
  expected: Map<string, { hash: string; chunks: number }>,
): Promise<{ present: number; broken: string[] }> {
  const { rows } = await db.query<{
    video_id: string;
    content_hash: string;
    chunks: number;
    unindexed: number;
  }>(
    `SELECT v.video_id, v.content_hash,
       (SELECT count(*)::int FROM chunks c WHERE c.video_id = v.video_id) AS chunks,
       (SELECT count(*)::int FROM chunks c WHERE c.video_id = v.video_id
          AND NOT EXISTS (SELECT 1 FROM chunk_terms t WHERE t.chunk_id = c.id)) AS unindexed
     FROM videos v`,
  );
  const broken: string[] = [];
  for (const r of rows) {
    const want = expected.get(r.video_id);
    if (!want || want.hash !== r.content_hash || want.chunks !== r.chunks || r.unindexed > 0)
      broken.push(`${r.video_id}: ${r.chunks}/${want?.chunks} chunks, ${r.unindexed} without postings`);
  }
  const orphans = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM videos v WHERE v.video_id = c.video_id)',
  );
  if (orphans.rows[0]!.n > 0) broken.push(`${orphans.rows[0]!.n} chunks of no video`);
  return { present: rows.length, broken };
}

/** A PostgreSQL schema of its own for one run, and the DATABASE_URL that points at it. */
export async function postgresSchema(
  url: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
  await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name},public`);
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await c.end();
    },
  };
}

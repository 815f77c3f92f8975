/**
 * pg-boss against graphile-worker, on the embedded default (PGlite) and on the PostgreSQL server
 * (DATABASE_URL), configured as the factory uses a queue: one job per issue, retries with backoff,
 * a 10 s job lease. Measures enqueue throughput, pick-up latency, dedupe per issue, retry with
 * backoff, permanent failure → dead with its reason, the handover of a SIGKILLed worker's job, and
 * the schema each installs.
 *
 *   pnpm --filter @dark-factory/factory bench:queue [--jobs 300] [--only pg-boss|graphile-worker] [--json]
 *
 * Each library gets a schema of its own (`bench_<lib>_<pid>`, dropped afterwards) or a fresh PGlite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  type Backend,
  type BenchHandler,
  type Contender,
  type Footprint,
  LEASE_SECONDS,
  type Library,
  open,
  type Where,
} from './contenders.ts';

const here = fileURLToPath(import.meta.url);

interface Result {
  library: Library;
  backend: Backend;
  installMs: number;
  footprint: Footprint;
  enqueuePerSecond: number;
  pickupMs: { median: number; p90: number };
  dedupe: { whileQueued: boolean; whileActive: boolean; afterDone: boolean };
  retry: { attempts: number; delaysMs: number[] };
  permanent: { attempts: number; reason: string; visibleAfterMs: number };
  killHandoverMs: number | null;
  notes: string[];
}

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '300' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    backend: { type: 'string' },
    schema: { type: 'string' },
    dir: { type: 'string' },
    enqueue: { type: 'string' },
  },
});

const log = (line: string) => process.stderr.write(`bench:queue: ${line}\n`);

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

async function dropSchema(url: string, schema: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

/** Handler that records every call and answers from a per-issue script. */
function recorder() {
  const calls = new Map<number, { attempt: number; at: number }[]>();
  const scripts = new Map<number, (attempt: number) => Promise<import('./contenders.ts').Outcome>>();
  const handler: BenchHandler = async (issue, attempt) => {
    calls.set(issue, [...(calls.get(issue) ?? []), { attempt, at: performance.now() }]);
    return (await scripts.get(issue)?.(attempt)) ?? 'ok';
  };
  return { calls, scripts, handler };
}

async function measure(library: Library, where: Where, jobs: number): Promise<Result> {
  const notes: string[] = [];
  const t0 = performance.now();
  const q = await open(library, where);
  const installMs = performance.now() - t0;
  try {
    const footprint = await q.footprint();

    // Enqueue throughput: one producer, one job per issue, as the webhook enqueues.
    let start = performance.now();
    for (let i = 1; i <= jobs; i++) await q.enqueue(i);
    const enqueuePerSecond = jobs / ((performance.now() - start) / 1000);
    await q.clear();

    const rec = recorder();
    // Dedupe: a second job for an issue already queued, then already running, then done.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    rec.scripts.set(5000, async () => {
      await held;
      return 'ok';
    });
    const first = await q.enqueue(5000);
    const whileQueued = (await q.enqueue(5000)) === null && first !== null;
    const stop = await q.work(rec.handler, 4);
    await waitFor('issue 5000 picked', () => (rec.calls.get(5000)?.length ? true : undefined), 20_000);
    const whileActive = (await q.enqueue(5000)) === null;
    release();
    await waitFor(
      'issue 5000 done',
      async () => ((await q.enqueue(5000)) !== null ? true : undefined),
      20_000,
    );
    const afterDone = true;

    // Pick-up latency: enqueue → handler, on an idle worker.
    const pickups: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const issue = 6000 + i;
      start = performance.now();
      await q.enqueue(issue);
      const at = await waitFor(`issue ${issue} picked`, () => rec.calls.get(issue)?.[0]?.at, 20_000);
      pickups.push(at - start);
    }

    // Retry with backoff (transient twice, then ok) and a permanent failure, side by side.
    rec.scripts.set(7000, async (attempt) => (attempt <= 2 ? 'transient' : 'ok'));
    rec.scripts.set(7001, async () => 'permanent');
    start = performance.now();
    await q.enqueue(7000);
    await q.enqueue(7001);
    const dead = await waitFor(
      'issue 7001 dead',
      async () => (await q.dead()).find((d) => d.issue === 7001),
      90_000,
    );
    const visibleAfterMs = performance.now() - start;
    await waitFor(
      'issue 7000 third attempt',
      () => (rec.calls.get(7000)?.length === 3 ? true : undefined),
      90_000,
    );
    const retryCalls = rec.calls.get(7000) ?? [];
    const delaysMs = retryCalls.slice(1).map((c, i) => c.at - (retryCalls[i]?.at ?? c.at));
    await stop();
    if (library === 'graphile-worker') {
      notes.push('a task cannot fail a job for good: a permanent error is retried until max_attempts');
      notes.push('retry delay is fixed in SQL: exp(min(attempts, 10)) s');
    }
    return {
      library,
      backend: where.backend,
      installMs,
      footprint,
      enqueuePerSecond,
      pickupMs: { median: quantile(pickups, 0.5), p90: quantile(pickups, 0.9) },
      dedupe: { whileQueued, whileActive, afterDone },
      retry: { attempts: retryCalls.length, delaysMs },
      permanent: { attempts: dead.attempts, reason: dead.reason, visibleAfterMs },
      killHandoverMs: null,
      notes,
    };
  } finally {
    await q.close();
  }
}

function spawnChild(library: Library, where: Where, enqueue?: number): ChildProcess {
  const argv = ['--import', 'tsx', here, '--child', library, '--backend', where.backend];
  argv.push('--schema', where.schema);
  if (where.pgliteDir) argv.push('--dir', where.pgliteDir);
  if (enqueue) argv.push('--enqueue', String(enqueue));
  return spawn(process.execPath, argv, {
    env: { ...process.env, DATABASE_URL: where.databaseUrl ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * A worker process takes a job and is SIGKILLed; how long until another worker has it? On PGlite
 * the "other worker" is the restarted process (one process owns the directory).
 */
async function killHandover(library: Library, where: Where): Promise<number | null> {
  const issue = 8000;
  let parent: Contender | undefined;
  if (where.backend === 'postgres') {
    parent = await open(library, where);
    await parent.enqueue(issue);
  }
  const child = spawnChild(library, where, where.backend === 'pglite' ? issue : undefined);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor(
    `the child worker to pick ${issue}`,
    () => (out.includes(`picked ${issue}`) ? true : undefined),
    60_000,
  );
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const killedAt = performance.now();
  parent ??= await open(library, where);
  const rec = recorder();
  const stop = await parent.work(rec.handler);
  try {
    const at = await waitFor(
      `issue ${issue} handed over`,
      () => rec.calls.get(issue)?.[0]?.at,
      (3 * LEASE_SECONDS + 5) * 1000,
    );
    return at - killedAt;
  } catch {
    return null;
  } finally {
    await stop();
    await parent.close();
  }
}

async function child(library: Library) {
  const backend = args.backend as Backend;
  const where: Where = {
    backend,
    schema: args.schema ?? 'bench',
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    ...(args.dir ? { pgliteDir: args.dir } : {}),
  };
  const q = await open(library, where);
  if (args.enqueue) await q.enqueue(Number(args.enqueue));
  await q.work(async (issue) => {
    process.stdout.write(`picked ${issue}\n`);
    return new Promise(() => undefined); // held until the parent kills this process
  });
}

function table(results: Result[]): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const fmt = (n: number | null, digits = 0) => (n === null || Number.isNaN(n) ? '—' : n.toFixed(digits));
  const lines = [
    row([
      'library',
      'backend',
      'install ms',
      'schema (tables/indexes/views/functions/types, KB)',
      'enqueue jobs/s',
      'pick-up ms median/p90',
      'dedupe queued/active',
      'retry attempts, delays s',
      'permanent failure: attempts, dead after s',
      'SIGKILL handover s',
    ]),
    row(Array(10).fill('---')),
  ];
  for (const r of results) {
    const f = r.footprint;
    lines.push(
      row([
        r.library,
        r.backend,
        fmt(r.installMs),
        `${f.tables}/${f.indexes}/${f.views}/${f.functions}/${f.types}, ${f.kilobytes}`,
        fmt(r.enqueuePerSecond),
        `${fmt(r.pickupMs.median, 1)} / ${fmt(r.pickupMs.p90, 1)}`,
        `${r.dedupe.whileQueued ? 'yes' : 'no'} / ${r.dedupe.whileActive ? 'yes' : 'no'}`,
        `${r.retry.attempts}, ${r.retry.delaysMs.map((d) => (d / 1000).toFixed(1)).join(' + ')}`,
        `${r.permanent.attempts}, ${(r.permanent.visibleAfterMs / 1000).toFixed(1)}`,
        r.killHandoverMs === null
          ? `none within ${3 * LEASE_SECONDS + 5}`
          : (r.killHandoverMs / 1000).toFixed(1),
      ]),
    );
  }
  return lines.join('\n');
}

async function main() {
  if (args.child) return child(args.child as Library);
  const jobs = Number(args.jobs);
  const url = process.env.DATABASE_URL?.trim() || undefined;
  const libraries: Library[] = args.only ? [args.only as Library] : ['pg-boss', 'graphile-worker'];
  const backends: Backend[] = url ? ['pglite', 'postgres'] : ['pglite'];
  if (!url) log('DATABASE_URL is not set: measuring the embedded default only');
  const results: Result[] = [];
  for (const library of libraries) {
    for (const backend of backends) {
      const schema = `bench_${library.replace('-', '_')}_${process.pid}`;
      const dir = await mkdtemp(path.join(tmpdir(), 'bench-queue-'));
      const where: Where = { backend, schema, ...(backend === 'postgres' ? { databaseUrl: url } : {}) };
      log(`${library} on ${backend}…`);
      try {
        if (url && backend === 'postgres') await dropSchema(url, schema);
        const result = await measure(library, where, jobs);
        if (url && backend === 'postgres') await dropSchema(url, schema);
        log(`${library} on ${backend}: SIGKILL handover…`);
        result.killHandoverMs = await killHandover(
          library,
          backend === 'pglite' ? { ...where, pgliteDir: path.join(dir, 'pgdata') } : where,
        );
        results.push(result);
      } catch (err) {
        log(`${library} on ${backend} failed: ${(err as Error).message}`);
        results.push(failed(library, backend, err));
      } finally {
        if (url && backend === 'postgres') await dropSchema(url, schema).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  process.stdout.write(args.json ? `${JSON.stringify(results, null, 2)}\n` : `${table(results)}\n`);
  for (const r of results) for (const note of r.notes) log(`${r.library} (${r.backend}): ${note}`);
}

function failed(library: Library, backend: Backend, err: unknown): Result {
  const nan = Number.NaN;
  return {
    library,
    backend,
    installMs: nan,
    footprint: { tables: 0, indexes: 0, views: 0, functions: 0, types: 0, kilobytes: 0 },
    enqueuePerSecond: nan,
    pickupMs: { median: nan, p90: nan },
    dedupe: { whileQueued: false, whileActive: false, afterDone: false },
    retry: { attempts: 0, delaysMs: [] },
    permanent: { attempts: 0, reason: '', visibleAfterMs: nan },
    killHandoverMs: null,
    notes: [`failed: ${(err as Error).message.split('\n')[0]}`],
  };
}

main().catch((err) => {
  log(String(err?.stack ?? err));
  process.exitCode = 1;
});

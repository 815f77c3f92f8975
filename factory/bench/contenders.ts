/**
 * The two queue libraries behind one small interface, configured as the factory would use them:
 * one job per issue (pg-boss: `exclusive` policy + singletonKey; graphile-worker: jobKey in
 * `unsafe_dedupe` mode + a named queue per issue), 3 retries with backoff, a 10 s job lease.
 */
import { PGlite } from '@electric-sql/pglite';
import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { fromPglite, PgBoss } from 'pg-boss';
import { PglitePool } from './pglite-pool.ts';

export type Library = 'pg-boss' | 'graphile-worker';
export type Backend = 'pglite' | 'postgres';
export type Outcome = 'ok' | 'transient' | 'permanent';
export type BenchHandler = (issue: number, attempt: number) => Promise<Outcome>;

export interface Footprint {
  tables: number;
  indexes: number;
  views: number;
  functions: number;
  types: number;
  kilobytes: number;
}

export interface Contender {
  library: Library;
  backend: Backend;
  enqueue(issue: number): Promise<string | null>;
  work(handler: BenchHandler, concurrency?: number): Promise<() => Promise<void>>;
  dead(): Promise<{ issue: number; reason: string; attempts: number }[]>;
  footprint(): Promise<Footprint>;
  /** Removes every job (between the bench's phases). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface Where {
  backend: Backend;
  /** postgres: the server; pglite: a directory (undefined = in memory). */
  databaseUrl?: string;
  pgliteDir?: string;
  schema: string;
}

export const LEASE_SECONDS = 10;
export const RETRY_LIMIT = 3;
const QUEUE = 'issues';
const DEAD = 'issues_dead';

type Sql = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

async function footprint(sql: Sql, schema: string): Promise<Footprint> {
  const { rows } = await sql(
    `SELECT
       count(*) FILTER (WHERE c.relkind IN ('r','p'))::int AS tables,
       count(*) FILTER (WHERE c.relkind IN ('i','I'))::int AS indexes,
       count(*) FILTER (WHERE c.relkind = 'v')::int AS views,
       (SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace = n.oid) AS functions,
       (SELECT count(*)::int FROM pg_type t WHERE t.typnamespace = n.oid AND t.typtype IN ('e','c','d')
          AND NOT EXISTS (SELECT 1 FROM pg_class r WHERE r.reltype = t.oid)) AS types,
       (coalesce(sum(pg_relation_size(c.oid)) FILTER (WHERE c.relkind IN ('r','p','i','I','t')), 0) / 1024)::int AS kilobytes
     FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
     WHERE n.nspname = $1 GROUP BY n.oid`,
    [schema],
  );
  return rows[0] as unknown as Footprint;
}

export async function openPgBoss(where: Where): Promise<Contender> {
  const pglite = where.backend === 'pglite' ? await PGlite.create(where.pgliteDir ?? undefined) : undefined;
  const boss = new PgBoss({
    ...(pglite
      ? { db: fromPglite(pglite), backend: 'pglite' as const }
      : { connectionString: where.databaseUrl, max: 4 }),
    schema: where.schema,
    useListenNotify: true,
    superviseIntervalSeconds: 2,
    monitorIntervalSeconds: 2,
    schedule: false,
  });
  boss.on('error', () => undefined);
  await boss.start();
  const queue = {
    policy: 'exclusive',
    retryLimit: RETRY_LIMIT,
    retryDelay: 1,
    retryBackoff: true,
    heartbeatSeconds: LEASE_SECONDS,
    notify: true,
  } as const;
  if (!(await boss.getQueue(DEAD))) await boss.createQueue(DEAD);
  if (!(await boss.getQueue(QUEUE))) await boss.createQueue(QUEUE, { ...queue, deadLetter: DEAD });
  const sql: Sql = pglite
    ? async (text, values) => ({ rows: (await pglite.query<Record<string, unknown>>(text, values)).rows })
    : async (text, values) => {
        const client = new pg.Client({ connectionString: where.databaseUrl });
        await client.connect();
        try {
          return await client.query(text, values);
        } finally {
          await client.end();
        }
      };
  return {
    library: 'pg-boss',
    backend: where.backend,
    enqueue: (issue) => boss.send(QUEUE, { issue }, { singletonKey: String(issue) }),
    async work(handler, concurrency = 1) {
      await boss.work<{ issue: number }>(
        QUEUE,
        {
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 1,
          localConcurrency: concurrency,
          perJobResults: true,
          includeMetadata: true,
        },
        async (jobs) =>
          Promise.all(
            jobs.map(async (job) => {
              const outcome = await handler(job.data.issue, job.retryCount + 1);
              const status =
                outcome === 'ok' ? 'completed' : outcome === 'transient' ? 'failed' : 'deadletter';
              return { id: job.id, status, output: { message: outcome } } as const;
            }),
          ),
      );
      return () => boss.offWork(QUEUE, { wait: false });
    },
    async dead() {
      const jobs = await boss.findJobs<{ issue: number }>(DEAD, { queued: true });
      return jobs.map((j) => ({
        issue: j.data.issue,
        reason: String((j.sourceOutput as { message?: string } | null)?.message ?? ''),
        attempts: (j.sourceRetryCount ?? 0) + 1,
      }));
    },
    footprint: () => footprint(sql, where.schema),
    async clear() {
      await boss.deleteAllJobs(QUEUE);
      await boss.deleteAllJobs(DEAD);
    },
    async close() {
      await boss.stop({ graceful: false, timeout: 1000 });
      await pglite?.close();
    },
  };
}

export async function openGraphileWorker(where: Where): Promise<Contender> {
  const pglite = where.backend === 'pglite' ? await PGlite.create(where.pgliteDir ?? undefined) : undefined;
  const pgPool = pglite
    ? (new PglitePool(pglite) as unknown as pg.Pool)
    : new pg.Pool({ connectionString: where.databaseUrl, max: 6 });
  pgPool.on('error', () => undefined);
  pgPool.on('connect', (client: pg.PoolClient) => client.on('error', () => undefined));
  const silent = { logger: quietLogger() };
  const shared = { pgPool, schema: where.schema, noPreparedStatements: Boolean(pglite), ...silent };
  const utils: WorkerUtils = await makeWorkerUtils(shared);
  await utils.migrate();
  const runners: Runner[] = [];
  const sql: Sql = async (text, values) => pgPool.query(text, values);
  return {
    library: 'graphile-worker',
    backend: where.backend,
    async enqueue(issue) {
      const before = await sql(`SELECT id FROM ${where.schema}._private_jobs WHERE key = $1`, [
        `issue-${issue}`,
      ]);
      const job = await utils.addJob(
        'issue',
        { issue },
        {
          jobKey: `issue-${issue}`,
          jobKeyMode: 'unsafe_dedupe',
          queueName: `issue-${issue}`,
          maxAttempts: RETRY_LIMIT + 1,
        },
      );
      // unsafe_dedupe hands back the existing job instead of adding one: that is a dedupe.
      return before.rows.some((r) => String(r.id) === String(job.id)) ? null : String(job.id);
    },
    async work(handler, concurrency = 1) {
      const runner = await run({
        ...shared,
        concurrency,
        pollInterval: 500,
        noHandleSignals: true,
        taskList: {
          issue: async (payload, helpers) => {
            const outcome = await handler((payload as { issue: number }).issue, helpers.job.attempts);
            // A task cannot fail a job for good: any throw is retried until max_attempts.
            if (outcome !== 'ok') throw new Error(outcome);
          },
        },
      });
      runners.push(runner);
      return () => runner.stop();
    },
    async dead() {
      const { rows } = await sql(
        `SELECT (payload->>'issue')::int AS issue, last_error, attempts FROM ${where.schema}._private_jobs
         WHERE attempts >= max_attempts AND locked_at IS NULL`,
      );
      return rows.map((r) => ({
        issue: Number(r.issue),
        reason: String(r.last_error ?? ''),
        attempts: Number(r.attempts),
      }));
    },
    footprint: () => footprint(sql, where.schema),
    async clear() {
      await sql(`DELETE FROM ${where.schema}._private_jobs`);
    },
    async close() {
      await Promise.all(runners.map((r) => r.stop().catch(() => undefined)));
      await utils.release();
      await pgPool.end();
      await pglite?.close();
    },
  };
}

function quietLogger(): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' && process.env.BENCH_VERBOSE) process.stderr.write(`graphile-worker: ${message}\n`);
  });
}

export function open(library: Library, where: Where): Promise<Contender> {
  return library === 'pg-boss' ? openPgBoss(where) : openGraphileWorker(where);
}

/**
 * The factory's queue (pg-boss) on both backends: the embedded PGlite default and the PostgreSQL
 * server at DATABASE_URL (a schema of this file's own). One job per issue, retries for transient
 * failures only, dead jobs with their reason, and jobs that survive a restart of the embedded queue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../src/errors.ts';
import { decideJob, isTransient } from '../src/queue/handler.ts';
import { type OpenedJobQueue, openJobQueue } from '../src/queue/open.ts';
import { type QueueSettings, queueSettingsFromEnv } from '../src/queue/settings.ts';
import { type IssueJob, type JobHandler, TransientJobError } from '../src/queue/types.ts';
import { seedQueue } from './support/pglite-template.ts';

const DATABASE_URL = process.env.DATABASE_URL?.trim() || undefined;
if (process.env.CI && !DATABASE_URL) {
  throw new Error('CI runs the queue tests on PostgreSQL as well: DATABASE_URL must be set');
}

const silent = pino({ level: 'silent' });
// A short lease and one quick retry keep the file fast; backoff is capped at the first delay.
const settings: QueueSettings = {
  leaseSeconds: 10,
  retryLimit: 1,
  retryDelaySeconds: 1,
  retryDelayMaxSeconds: 1,
  expireSeconds: 600,
};

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const job = (issue: number, reason: IssueJob['reason'] = 'opened'): IssueJob => ({
  issue,
  reason,
  source: 'test',
});

/** The dead jobs of these issues (the cases share one queue: earlier ones leave dead jobs). */
async function deadOf(q: OpenedJobQueue, issues: number[]) {
  return (await q.dead()).filter((d) => issues.includes(d.job.issue));
}

/** The behaviour both backends share; `queue()` is the enclosing describe's open queue. */
function queueContract(queue: () => OpenedJobQueue) {
  it('takes one job per issue: a second enqueue while it is queued or running is deduped', async () => {
    const q = queue();
    const first = await q.enqueue(job(1));
    expect(first.deduped).toBe(false);
    expect(first.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await q.enqueue(job(1, 'edited'))).toEqual({ jobId: null, deduped: true });
    expect((await q.enqueue(job(2))).deduped).toBe(false);
    expect((await q.pending()).map((p) => [p.job.issue, p.state])).toEqual([
      [1, 'queued'],
      [2, 'queued'],
    ]);

    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const seen: number[] = [];
    const worker = await q.work(
      async (j) => {
        seen.push(j.issue);
        if (j.issue === 1) await held;
      },
      { concurrency: 2 },
    );
    await waitFor('issue 1 running', async () =>
      (await q.pending()).some((p) => p.job.issue === 1 && p.state === 'active') ? true : undefined,
    );
    expect(await q.enqueue(job(1, 'comment'))).toEqual({ jobId: null, deduped: true });
    release();
    await waitFor('both done', async () => ((await q.pending()).length === 0 ? true : undefined));
    // Once the job is done, the issue takes a new one.
    expect((await q.enqueue(job(1, 'retry'))).deduped).toBe(false);
    await waitFor('the new job done', async () => ((await q.pending()).length === 0 ? true : undefined));
    await worker.stop();
    expect(seen.sort()).toEqual([1, 1, 2]);
    expect(await q.dead()).toEqual([]);
  });

  it('retries a TransientJobError with backoff, fails anything else at once, and keeps the reason', async () => {
    const q = queue();
    const attempts = new Map<number, number[]>();
    const handler: JobHandler = async (j, ctx) => {
      attempts.set(j.issue, [...(attempts.get(j.issue) ?? []), ctx.attempt]);
      if (j.issue === 10 && ctx.attempt === 1) throw new TransientJobError('forge unavailable (502)');
      if (j.issue === 11)
        throw new FactoryError('policy_invalid', 'main:mission.md: limits.fixAttempt: unknown field');
      if (j.issue === 12) throw new TransientJobError('model overloaded (529)');
    };
    const worker = await q.work(handler, { concurrency: 3 });
    for (const issue of [10, 11, 12]) await q.enqueue(job(issue));
    const dead = await waitFor('two dead jobs', async () => {
      const d = await q.dead();
      return d.length === 2 ? d : undefined;
    });
    await waitFor('issue 10 retried', async () => ((await q.pending()).length === 0 ? true : undefined));
    await worker.stop();
    // Transient: a second attempt after the backoff, which succeeded.
    expect(attempts.get(10)).toEqual([1, 2]);
    // Permanent: one attempt, dead with its message, although a retry was left.
    expect(attempts.get(11)).toEqual([1]);
    // Transient every time: dead once the retries ran out, with the last reason.
    expect(attempts.get(12)).toEqual([1, 2]);
    const byIssue = new Map(dead.map((d) => [d.job.issue, d]));
    expect(byIssue.get(11)).toMatchObject({
      reason: 'main:mission.md: limits.fixAttempt: unknown field',
      attempts: 1,
      job: { issue: 11, reason: 'opened', source: 'test' },
    });
    expect(byIssue.get(12)).toMatchObject({ reason: 'model overloaded (529)', attempts: 2 });
    expect(byIssue.get(12)?.failedAt).toBeInstanceOf(Date);
    // A dead job does not block the issue: it can be queued again (e.g. `pnpm factory enqueue`).
    expect((await q.enqueue(job(11, 'retry'))).deduped).toBe(false);
  });

  it('hands the jobs in hand back when the worker stops, without using a retry (even the last one)', async () => {
    const q = queue();
    const attempts = new Map<number, number[]>();
    const seen = (issue: number, attempt: number) =>
      attempts.set(issue, [...(attempts.get(issue) ?? []), attempt]);
    // The first worker holds each job until it stops, then gives up as the engine does (the handler
    // turns the abort into a TransientJobError). Issue 41 first fails transiently, so the worker
    // stops during its last attempt (retryLimit 1).
    const first = await q.work(
      async (j, ctx) => {
        if (j.issue !== 40 && j.issue !== 41) return; // an earlier case's job
        seen(j.issue, ctx.attempt);
        if (j.issue === 41 && ctx.attempt === 1) throw new TransientJobError('forge unavailable (502)');
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new TransientJobError('released: stopping')), {
            once: true,
          }),
        );
      },
      { concurrency: 3 },
    );
    for (const issue of [40, 41]) await q.enqueue(job(issue));
    await waitFor('both held (41 on its last attempt)', async () => {
      const active = (await q.pending()).filter((p) => p.state === 'active');
      return active.some((p) => p.job.issue === 40) &&
        active.some((p) => p.job.issue === 41 && p.attempt === 2)
        ? true
        : undefined;
    });
    await first.stop();
    // Both are back, ready now (no backoff), and nothing is dead.
    const back = await q.pending();
    expect(back.map((p) => [p.job.issue, p.state]).sort()).toEqual([
      [40, 'retry'],
      [41, 'retry'],
    ]);
    for (const p of back) expect(p.startAfter.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await deadOf(q, [40, 41])).toEqual([]);

    // The next worker still has every retry: issue 40's transient failure on its second attempt is
    // retried (retryLimit 1 would have made it dead had the release counted), and 41 runs again.
    let failed40 = false;
    const second = await q.work(
      async (j, ctx) => {
        seen(j.issue, ctx.attempt);
        if (j.issue === 40 && !failed40) {
          failed40 = true;
          throw new TransientJobError('model overloaded (529)');
        }
      },
      { concurrency: 2 },
    );
    await waitFor('both done', async () => ((await q.pending()).length === 0 ? true : undefined));
    await second.stop();
    expect(attempts.get(40)).toEqual([1, 2, 3]);
    expect(attempts.get(41)).toEqual([1, 2, 3]);
    expect(await deadOf(q, [40, 41])).toEqual([]);
  });

  it('refuses a job that is not an IssueJob, naming the field', async () => {
    await expect(queue().enqueue({ issue: 0, reason: 'opened' })).rejects.toThrow(/issue/);
    await expect(queue().enqueue({ issue: 3, reason: 'nope' as 'opened' })).rejects.toThrow(/reason/);
  });
}

describe('queue on PGlite (the embedded default)', () => {
  let dir: string;
  let q: OpenedJobQueue;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'factory-queue-'));
    // A copy of a queue database pg-boss made (its schema created from nothing is the PostgreSQL half's).
    await seedQueue(dir);
    q = await openJobQueue({ dir, settings, logger: silent });
    expect(q.kind).toBe('pglite');
  });
  afterAll(async () => {
    await q?.close();
    await rm(dir, { recursive: true, force: true });
  });
  queueContract(() => q);

  it('keeps queued jobs across a restart, and one process owns the directory', async () => {
    const queued = await q.enqueue(job(20));
    await expect(openJobQueue({ dir, settings, logger: silent, label: 'second opener' })).rejects.toThrow(
      /in use by pid \d+/,
    );
    await q.close();
    q = await openJobQueue({ dir, settings, logger: silent });
    expect((await q.pending()).map((p) => p.jobId)).toContain(queued.jobId);
    expect((await q.dead()).map((d) => d.job.issue).sort()).toEqual([11, 12]);
  });
});

describe.skipIf(!DATABASE_URL)('queue on PostgreSQL (DATABASE_URL)', () => {
  const schema = `queue_unit_${process.pid}`;
  let q: OpenedJobQueue;
  const drop = async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  };
  beforeAll(async () => {
    await drop();
    q = await openJobQueue({
      databaseUrl: DATABASE_URL,
      dir: '/nonexistent',
      schema,
      settings,
      logger: silent,
    });
    expect(q.kind).toBe('postgres');
  });
  afterAll(async () => {
    await q?.close();
    await drop();
  });
  queueContract(() => q);

  it('lets a second process (here: a second pg-boss instance) share the queue and its dedupe', async () => {
    const other = await openJobQueue({
      databaseUrl: DATABASE_URL,
      dir: '/nonexistent',
      schema,
      settings,
      logger: silent,
    });
    try {
      expect((await q.enqueue(job(30))).deduped).toBe(false);
      expect((await other.enqueue(job(30))).deduped).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('queue rules (pure)', () => {
  it('reads its settings from the environment, the lease raised to pg-boss minimum', () => {
    expect(queueSettingsFromEnv({ FACTORY_LEASE_SECONDS: '3', FACTORY_JOB_RETRIES: '5' })).toMatchObject({
      leaseSeconds: 10,
      retryLimit: 5,
    });
    expect(() => queueSettingsFromEnv({ FACTORY_JOB_RETRIES: 'many' })).toThrow(/FACTORY_JOB_RETRIES/);
  });

  it('classifies failures: only what may pass is transient', () => {
    expect(isTransient(new TransientJobError('x'))).toBe(true);
    expect(isTransient(new FactoryError('lease_lost', 'held by another'))).toBe(true);
    expect(isTransient(new FactoryError('policy_invalid', 'bad'))).toBe(false);
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(new Error('boom'))).toBe(false);
  });

  it('resumes a running run, skips closed or already decided issues unless asked again', () => {
    const open = { state: 'open', labels: [] };
    expect(decideJob(job(1), { activeRunId: 'r1', issue: open })).toEqual({ action: 'resume', runId: 'r1' });
    expect(decideJob(job(1), { issue: open })).toEqual({ action: 'run' });
    expect(decideJob(job(1), { issue: { state: 'closed', labels: [] } }).action).toBe('skip');
    const decided = { state: 'open', labels: ['factory:rejected'] };
    expect(decideJob(job(1, 'poll'), { issue: decided }).action).toBe('skip');
    expect(decideJob(job(1, 'retry'), { issue: decided })).toEqual({ action: 'run' });
  });
});

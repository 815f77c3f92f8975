import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEAD_QUEUE, ISSUE_QUEUE, type QueueSettings } from './settings.ts';
import {
  type DeadJob,
  type EnqueueResult,
  type IssueJob,
  IssueJobSchema,
  type JobHandler,
  type JobQueue,
  type PendingJob,
  TransientJobError,
  type WorkerHandle,
} from './types.ts';

/** What a failed attempt stores as the job's output; the dead job's `reason` is its message. */
const FailureSchema = z.looseObject({ message: z.string(), transient: z.boolean().optional() });

/** One job per issue: the `exclusive` policy refuses a second job for a key that is queued or active. */
export const singletonKey = (issue: number) => `issue-${issue}`;

/**
 * Creates the two queues (create_queue is ON CONFLICT DO NOTHING, so workers may start at once), then
 * applies the settings to an existing queue too: pg-boss keeps only the policy and the dead letter
 * from the creation.
 */
export async function ensureQueues(boss: PgBoss, settings: QueueSettings): Promise<void> {
  const options = {
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: settings.retryDelayMaxSeconds,
    expireInSeconds: settings.expireSeconds,
    heartbeatSeconds: settings.leaseSeconds,
  };
  await boss.createQueue(DEAD_QUEUE);
  await boss.createQueue(ISSUE_QUEUE, {
    ...options,
    policy: 'exclusive',
    deadLetter: DEAD_QUEUE,
    notify: true,
  });
  await boss.updateQueue(ISSUE_QUEUE, options);
}

export interface PgBossJobQueueOptions {
  boss: PgBoss;
  settings: QueueSettings;
  logger: Logger;
  /** Called by close() after pg-boss stopped (the embedded database, the owner file). */
  onClose?: () => Promise<void>;
}

/** The factory's JobQueue on pg-boss (PostgreSQL, or PGlite in process). */
export function createPgBossJobQueue(options: PgBossJobQueueOptions): JobQueue {
  const { boss, logger } = options;
  const log = logger.child({ module: 'queue' });
  let closing: Promise<void> | undefined;

  async function settle(
    job: JobWithMetadata<unknown>,
    handler: JobHandler,
    stopping: AbortSignal,
    released: Set<string>,
  ): Promise<JobResult> {
    const parsed = IssueJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const message = `invalid job data: ${z.prettifyError(parsed.error)}`;
      log.error({ jobId: job.id, data: job.data }, message);
      return { id: job.id, status: 'deadletter', output: { message } };
    }
    const ctx = {
      jobId: job.id,
      attempt: job.retryCount + 1,
      signal: AbortSignal.any([job.signal, stopping]),
    };
    const started = Date.now();
    log.info({ jobId: job.id, issue: parsed.data.issue, attempt: ctx.attempt }, 'job started');
    try {
      await handler(parsed.data, ctx);
      log.info({ jobId: job.id, issue: parsed.data.issue, ms: Date.now() - started }, 'job done');
      return { id: job.id, status: 'completed' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (stopping.aborted && !job.signal.aborted) {
        // This worker is stopping and handed the job back: not a failure of the job. pg-boss settles
        // it as failed (its only way to give an active job back); stop() then restores the attempt.
        released.add(job.id);
        log.info({ jobId: job.id, issue: parsed.data.issue, attempt: ctx.attempt }, 'job released');
        const why = message.startsWith('released') ? message : `released: ${message}`;
        return { id: job.id, status: 'failed', output: { message: why, released: true } };
      }
      const transient = err instanceof TransientJobError;
      const retries = transient && job.retryCount < job.retryLimit;
      log.warn(
        { jobId: job.id, issue: parsed.data.issue, attempt: ctx.attempt, transient, err },
        retries ? 'job failed, will retry' : 'job failed for good',
      );
      // `deadletter` skips the retries left: only a transient failure is worth another attempt.
      return { id: job.id, status: transient ? 'failed' : 'deadletter', output: { message, transient } };
    }
  }

  /**
   * Gives a released job its attempt back and makes it ready now, with pg-boss's own calls: a
   * claim of a job that ran before counts one more attempt (`retry_count`), so the limit goes up by
   * one, as pg-boss's `retry()` does for a failed job. Failed into `retry`, it is still queued
   * (`update` edits a job that is not active); failed for good (it was on its last attempt), it is
   * retried with `retry()` and its copy in the dead queue is deleted. A job that is not where
   * stop() left it (another worker took it, or a new job for the issue was queued) is left alone.
   */
  async function restoreReleased(id: string): Promise<void> {
    try {
      const [current] = await boss.findJobs<unknown>(ISSUE_QUEUE, { id });
      if (current?.state === 'retry') {
        await boss.update(ISSUE_QUEUE, undefined, {
          id,
          retryLimit: current.retryLimit + 1,
          startAfter: new Date(),
        });
      } else if (current?.state === 'failed') {
        await boss.retry(ISSUE_QUEUE, id);
        const copies = (await boss.findJobs<unknown>(DEAD_QUEUE, { queued: true, limit: 10_000 })).filter(
          (j) => j.sourceId === id,
        );
        if (copies.length)
          await boss.deleteJob(
            DEAD_QUEUE,
            copies.map((j) => j.id),
          );
      }
      log.info({ jobId: id, state: current?.state ?? 'gone' }, 'released job ready for another worker');
    } catch (err) {
      // The job then waits for its backoff like a retry: slower, never lost.
      log.warn({ jobId: id, err }, 'could not restore a released job; it is retried after its backoff');
    }
  }

  const queue: JobQueue = {
    async enqueue(job: IssueJob): Promise<EnqueueResult> {
      const data = IssueJobSchema.parse(job);
      const jobId = await boss.send(ISSUE_QUEUE, data, { singletonKey: singletonKey(data.issue) });
      log.info({ issue: data.issue, reason: data.reason, jobId, deduped: jobId === null }, 'enqueued');
      return { jobId, deduped: jobId === null };
    },

    async work(handler, workOptions = {}): Promise<WorkerHandle> {
      const stopping = new AbortController();
      const released = new Set<string>();
      const workerId = await boss.work(
        ISSUE_QUEUE,
        {
          localConcurrency: workOptions.concurrency ?? 1,
          includeMetadata: true,
          perJobResults: true,
          pollingIntervalSeconds: 1,
          // NOTIFY wakes the worker for a new job; a retry or a handed-over job is found by this poll.
          notifyPollingIntervalSeconds: 1,
        },
        (jobs: JobWithMetadata<unknown>[]) =>
          Promise.all(jobs.map((job) => settle(job, handler, stopping.signal, released))),
      );
      log.info({ workerId, concurrency: workOptions.concurrency ?? 1 }, 'worker started');
      let stopped: Promise<void> | undefined;
      return {
        stop: () => {
          stopped ??= (async () => {
            // The handlers see the abort and finish or release their job; pg-boss then settles it.
            stopping.abort(new Error('the worker is stopping'));
            await boss.offWork(ISSUE_QUEUE, { id: workerId, wait: true });
            for (const id of released) await restoreReleased(id);
            log.info({ workerId, released: released.size }, 'worker stopped');
          })();
          return stopped;
        },
      };
    },

    async dead(limit = 50): Promise<DeadJob[]> {
      const jobs = await boss.findJobs<unknown>(DEAD_QUEUE, { queued: true, limit: 10_000 });
      return jobs
        .flatMap((j): DeadJob[] => {
          const job = IssueJobSchema.safeParse(j.data);
          if (!job.success) return [];
          const failure = FailureSchema.safeParse(j.sourceOutput);
          return [
            {
              jobId: j.sourceId ?? j.id,
              job: job.data,
              reason: failure.success ? failure.data.message : 'no reason recorded',
              attempts: (j.sourceRetryCount ?? 0) + 1,
              failedAt: j.createdOn,
            },
          ];
        })
        .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime())
        .slice(0, limit);
    },

    async pending(limit = 100): Promise<PendingJob[]> {
      // Finished jobs are kept for a while (pg-boss deleteAfterSeconds); only unfinished ones are listed.
      const jobs = await boss.findJobs<unknown>(ISSUE_QUEUE, { limit: 10_000 });
      return jobs
        .flatMap((j): PendingJob[] => {
          const job = IssueJobSchema.safeParse(j.data);
          if (!job.success || !['created', 'retry', 'active'].includes(j.state)) return [];
          const failure = FailureSchema.safeParse(j.output);
          return [
            {
              jobId: j.id,
              job: job.data,
              state: j.state === 'created' ? 'queued' : (j.state as 'retry' | 'active'),
              attempt: j.retryCount + 1,
              createdAt: j.createdOn,
              startAfter: j.startAfter,
              ...(j.state === 'retry' && failure.success ? { lastError: failure.data.message } : {}),
            },
          ];
        })
        .slice(0, limit);
    },

    close() {
      closing ??= (async () => {
        await boss.stop({ graceful: true, timeout: 10_000 });
        await options.onClose?.();
      })();
      return closing;
    },
  };
  return queue;
}

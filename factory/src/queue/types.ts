import { z } from 'zod';

/**
 * The job interface shared by every producer (the webhook endpoint, the poller, the schedule,
 * comment commands) and every worker (pg-boss/graphile-worker on PostgreSQL, one in-process worker
 * on the embedded default). Producers only enqueue; only workers run the pipeline.
 */

export const IssueJobReasonSchema = z.enum([
  'opened',
  'edited',
  'reopened',
  'comment',
  'retry',
  'poll',
  'schedule',
]);
export type IssueJobReason = z.infer<typeof IssueJobReasonSchema>;

export const IssueJobSchema = z.strictObject({
  /** The issue number on the forge the factory serves. */
  issue: z.number().int().positive(),
  reason: IssueJobReasonSchema,
  /** The webhook delivery (X-GitHub-Delivery) or poll cycle that produced it, for the record. */
  source: z.string().min(1).max(200).optional(),
  /** Who asked (a `/factory retry` comment's author), when someone did. */
  requestedBy: z.string().min(1).max(100).optional(),
});
export type IssueJob = z.infer<typeof IssueJobSchema>;

export interface EnqueueResult {
  /** null when the queue refused it because a job for the same issue is already queued or running. */
  jobId: string | null;
  deduped: boolean;
}

export interface DeadJob {
  jobId: string;
  job: IssueJob;
  /** The last error's message: why it is dead. */
  reason: string;
  attempts: number;
  failedAt: Date;
}

/** What a worker's handler sees. `signal` aborts when the worker stops or loses the job. */
export interface JobContext {
  jobId: string;
  attempt: number;
  signal: AbortSignal;
}

export type JobHandler = (job: IssueJob, ctx: JobContext) => Promise<void>;

/** A failure worth retrying (network, 5xx, rate limit); anything else fails the job at once. */
export class TransientJobError extends Error {
  override readonly name = 'TransientJobError';
}

export interface WorkerHandle {
  /** Stops taking jobs and waits for the ones in hand to finish (or be released). */
  stop(): Promise<void>;
}

/** A job waiting (`created`, `retry`: not before `startAfter`) or in a worker's hands (`active`). */
export interface PendingJob {
  jobId: string;
  job: IssueJob;
  state: 'queued' | 'retry' | 'active';
  /** 1 for the first try; a retry or a handed-over job counts up. */
  attempt: number;
  createdAt: Date;
  startAfter: Date;
  /** The last failure's message while it waits for a retry. */
  lastError?: string;
}

export interface JobQueue {
  /** One job per issue at a time: a second enqueue for an issue already queued or running is deduped. */
  enqueue(job: IssueJob): Promise<EnqueueResult>;
  work(handler: JobHandler, options?: { concurrency?: number }): Promise<WorkerHandle>;
  /** Jobs that exhausted their retries or failed permanently, newest first. */
  dead(limit?: number): Promise<DeadJob[]>;
  /** Jobs queued, waiting for a retry, or running, oldest first. */
  pending(limit?: number): Promise<PendingJob[]>;
  close(): Promise<void>;
}

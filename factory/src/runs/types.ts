import { z } from 'zod';
import { type RunStatus, RunStatusSchema, type StopReasonSchema } from '../policy/schema.ts';

/** What the engine persists. A run's status is derived from its steps (see engine), never set by hand. */

export const STEP_STATUSES = ['ok', 'failed', 'refused', 'skipped'] as const;
export const StepStatusSchema = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatusSchema>;

/** intake, triage, plan, implement, validate, review, fix-1, validate-1, review-1, …, merge */
export const StepNameSchema = z
  .string()
  .regex(/^(intake|triage|plan|implement|validate|review|merge|verify|(fix|validate|review)-[1-9]\d*)$/);
export type StepName = z.infer<typeof StepNameSchema>;

/** Run ids are random UUIDs (the runs table checks the form too). */
export const RunIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a run id (uuid)');

export const RunStateSchema = z.enum(['running', ...RunStatusSchema.options]);
export type RunState = z.infer<typeof RunStateSchema>;

export interface RunRecord {
  id: string;
  issue: number;
  /** sha256 of the sanitised title + body frozen at triage (null before triage). */
  issueHash: string | null;
  author: string | null;
  base: string;
  baseSha: string;
  branch: string;
  repo: string;
  /** Derived and cached by the engine from the steps when the run ends; 'running' before. */
  state: RunState;
  stopReason: z.infer<typeof StopReasonSchema> | null;
  pr: number | null;
  /** Which boundary the run's commands ran in (bubblewrap, container). */
  sandbox: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** The lease has not expired by the database's clock when the row was read ('running' with a dead lease = resumable). */
  leaseLive: boolean;
}

export interface StepRecord {
  runId: string;
  name: StepName;
  seq: number;
  status: StepStatus;
  /** Stop reason when the step ends the run, or a short machine reason (e.g. no_change). */
  reason: string | null;
  /** The step's typed result (validated by the step's own zod schema before it is stored). */
  result: unknown;
  startedAt: Date;
  durationMs: number;
}

export type EventKind = 'model_call' | 'tool_call' | 'command' | 'note';

export interface EventRecord {
  runId: string;
  step: string;
  kind: EventKind;
  data: Record<string, unknown>;
  at: Date;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

export interface LedgerEntry extends Usage {
  runId: string;
  step: string;
  model: string;
  /** null when the model has no price in the table: never counted as zero. */
  usd: number | null;
  at: Date;
}

export interface CostTotals extends Usage {
  /** null when any entry had an unknown price. */
  usd: number | null;
  /** USD of the entries whose price is known (what budgets compare against, with unknown flagged). */
  knownUsd: number;
  unpricedCalls: number;
  calls: number;
}

export interface NewRun {
  issue: number;
  author: string | null;
  base: string;
  baseSha: string;
  branch: string;
  repo: string;
}

export interface RunQuery {
  issue?: number;
  state?: RunState;
  /** Newest first; default 50, at most 1000. */
  limit?: number;
}

/** Guards a write: it happens only while the run is 'running' and `owner` holds its lease, else `lease_lost`. */
export interface LeaseGuard {
  owner: string;
}

/**
 * The read half of the store: what `status` needs. Served by the store itself or, while another
 * process owns an embedded store, by that owner's status endpoint (runs/remote.ts).
 */
export interface RunReader {
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** The run for this issue that is still 'running' (at most one: enforced by a unique index). */
  activeRun(issue: number): Promise<RunRecord | undefined>;
  steps(runId: string): Promise<StepRecord[]>;
  events(runId: string, query?: { step?: string; kind?: EventKind }): Promise<EventRecord[]>;
  runCost(runId: string): Promise<CostTotals>;
  /** The run's ledger entries (one per successful model call: step, model, tokens, price), oldest first. */
  ledger(runId: string): Promise<LedgerEntry[]>;
  /** Totals over every run since `since` (UTC day start for daily budgets). */
  costSince(since: Date): Promise<CostTotals>;
  close(): Promise<void>;
}

/**
 * The run store (PGlite under DATA_DIR/factory by default; DATABASE_URL → schema `factory`).
 * Every state change is one guarded statement; leases decide who owns a run.
 * Failures are `FactoryError('store_error')`; a guarded write whose lease is gone is `lease_lost`.
 */
export interface RunStore extends RunReader {
  /** Creates a 'running' run holding the lease for `owner`; `run_active` when the issue already has one. */
  createRun(run: NewRun, lease: { owner: string; ttlMs: number }): Promise<RunRecord>;
  /** 'running' runs whose lease expired (or was released): what `resume` and a restarted `loop` pick up. */
  expiredRuns(): Promise<RunRecord[]>;
  setIssueHash(runId: string, hash: string, guard?: LeaseGuard): Promise<void>;
  setPullRequest(runId: string, pr: number, guard?: LeaseGuard): Promise<void>;
  setSandbox(runId: string, boundary: string, guard?: LeaseGuard): Promise<void>;
  /** Ends the run: only succeeds while it is running and we hold the lease (else `lease_lost` / `store_error`). */
  finishRun(runId: string, owner: string, end: { state: RunStatus; stopReason: string }): Promise<void>;

  /** Takes the lease when it is free, expired or already ours; false when someone else holds a live one. */
  acquireLease(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when we lost it (someone took it over after expiry, or the run ended). */
  heartbeat(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(runId: string, owner: string): Promise<void>;

  /**
   * Stores a finished step (replaces a step of the same name: steps are idempotent on resume; a
   * replaced step keeps its seq). With a guard, only while the run is running and the lease is ours.
   */
  saveStep(step: Omit<StepRecord, 'seq'>, guard?: LeaseGuard): Promise<StepRecord>;
  addEvent(event: Omit<EventRecord, 'at'>): Promise<void>;

  addLedgerEntry(entry: Omit<LedgerEntry, 'at'>): Promise<void>;
  runsSince(since: Date): Promise<number>;
  mergesSince(since: Date): Promise<number>;
  /** Issues by this author with a triage step since `since` (the flood limit). */
  triagedByAuthorSince(author: string, since: Date): Promise<number>;

  // The intake's records (migration 002).
  /** Records a webhook delivery or polled change by its id; false when that id was taken before (a replay). */
  claimDelivery(delivery: DeliveryClaim): Promise<boolean>;
  /** What the intake did with a delivery (enqueued, ignored and why, …), for the record. */
  setDeliveryOutcome(id: string, outcome: string): Promise<void>;
  /** Forgets a delivery whose handling failed, so that GitHub's redelivery of it is taken. */
  releaseDelivery(id: string): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  /** Asks a running run to stop before its next step; the first request stands. */
  requestStop(runId: string, request: NewStopRequest): Promise<StopRequestResult>;
  /** The request to stop this run, if someone made one. */
  stopRequest(runId: string): Promise<StopRequest | undefined>;
  /** Withdraws the request to stop a run that has not acted on it yet (a later `/factory retry`); false when there was none. */
  withdrawStop(runId: string): Promise<boolean>;
  getPollCursor(name: string): Promise<PollCursor | undefined>;
  setPollCursor(name: string, cursor: PollCursor): Promise<void>;
}

export interface DeliveryClaim {
  /** X-GitHub-Delivery, or `poll:<kind>:<id>:<updated>` for a polled change. */
  id: string;
  source: 'webhook' | 'poll';
  event: string;
  action?: string | null;
}

export interface DeliveryRecord extends DeliveryClaim {
  outcome: string | null;
  receivedAt: Date;
}

export interface NewStopRequest {
  /** The login that asked. */
  requestedBy: string;
  /** Where the request came from (a webhook delivery id, a comment URL). */
  source: string;
  note?: string;
}

export interface StopRequest extends NewStopRequest {
  runId: string;
  requestedAt: Date;
}

export type StopRequestResult =
  | { status: 'requested' | 'already_requested'; request: StopRequest }
  /** The run has ended (or does not exist): there is nothing to stop. */
  | { status: 'not_running' };

/** The poller's place in one conditional listing. */
export interface PollCursor {
  /** Changes at or after this instant are asked for next (null: from the beginning). */
  since: Date | null;
  /** The ETag of the last answer to that query. */
  etag: string | null;
}

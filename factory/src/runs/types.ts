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

/**
 * The run store (PGlite under DATA_DIR/factory by default; DATABASE_URL → schema `factory`).
 * Every state change is one guarded statement; leases decide who owns a run.
 */
export interface RunStore {
  createRun(run: NewRun, lease: { owner: string; ttlMs: number }): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(query?: { issue?: number; limit?: number }): Promise<RunRecord[]>;
  /** The run for this issue that is still 'running' (at most one: enforced by a unique index). */
  activeRun(issue: number): Promise<RunRecord | undefined>;
  setIssueHash(runId: string, hash: string): Promise<void>;
  setPullRequest(runId: string, pr: number): Promise<void>;
  setSandbox(runId: string, boundary: string): Promise<void>;
  /** Ends the run: only succeeds while it is running and we hold the lease. */
  finishRun(runId: string, owner: string, end: { state: RunStatus; stopReason: string }): Promise<void>;

  /** Takes the lease when it is free or expired; false when someone else holds a live one. */
  acquireLease(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when we lost it (someone took it over after expiry). */
  heartbeat(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(runId: string, owner: string): Promise<void>;

  /** Stores a finished step (replaces a step of the same name: steps are idempotent on resume). */
  saveStep(step: Omit<StepRecord, 'seq'>): Promise<StepRecord>;
  steps(runId: string): Promise<StepRecord[]>;
  addEvent(event: Omit<EventRecord, 'at'>): Promise<void>;
  events(runId: string, query?: { step?: string; kind?: EventKind }): Promise<EventRecord[]>;

  addLedgerEntry(entry: Omit<LedgerEntry, 'at'>): Promise<void>;
  runCost(runId: string): Promise<CostTotals>;
  /** Totals over every run since `since` (UTC day start for daily budgets). */
  costSince(since: Date): Promise<CostTotals>;
  runsSince(since: Date): Promise<number>;
  mergesSince(since: Date): Promise<number>;
  /** Triage decisions recorded for issues by this author since `since` (the flood limit). */
  triagedByAuthorSince(author: string, since: Date): Promise<number>;
  close(): Promise<void>;
}

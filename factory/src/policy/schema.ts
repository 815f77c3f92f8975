import { z } from 'zod';

/**
 * The machine-readable half of mission.md (its YAML front matter). Every number and path the
 * factory enforces comes from here; the prose below the front matter is for the model only.
 */

const Glob = z.string().trim().min(1, 'a glob must not be empty');
const PositiveInt = z.number().int().positive();

export const RUN_STATUSES = ['merged', 'rejected', 'needs-human', 'blocked', 'failed'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Why a run stopped. Each one maps to a status and a label in `policy.stopReasons` (do not duplicate). */
export const STOP_REASONS = [
  'merged',
  'triage_rejected',
  'triage_needs_human',
  'body_too_large',
  'flood_limit',
  'already_active',
  'issue_edited',
  'paused',
  'budget_exceeded',
  'daily_runs_cap',
  'merge_cap',
  'no_change',
  'agent_failed',
  'validation_exhausted',
  'policy_violation',
  'no_sandbox',
  'post_merge_failed',
  'factory_error',
] as const;
export const StopReasonSchema = z.enum(STOP_REASONS);
export type StopReason = z.infer<typeof StopReasonSchema>;

const StopRuleSchema = z.object({ status: RunStatusSchema, label: z.string().min(1) });

const DEFAULT_STOP_REASONS: Record<StopReason, z.infer<typeof StopRuleSchema>> = {
  merged: { status: 'merged', label: 'factory:merged' },
  triage_rejected: { status: 'rejected', label: 'factory:rejected' },
  triage_needs_human: { status: 'needs-human', label: 'factory:needs-human' },
  body_too_large: { status: 'rejected', label: 'factory:rejected' },
  flood_limit: { status: 'rejected', label: 'factory:rejected' },
  already_active: { status: 'blocked', label: 'factory:blocked' },
  issue_edited: { status: 'needs-human', label: 'factory:needs-human' },
  paused: { status: 'blocked', label: 'factory:blocked' },
  budget_exceeded: { status: 'blocked', label: 'factory:blocked' },
  daily_runs_cap: { status: 'blocked', label: 'factory:blocked' },
  merge_cap: { status: 'blocked', label: 'factory:blocked' },
  no_change: { status: 'needs-human', label: 'factory:needs-human' },
  agent_failed: { status: 'needs-human', label: 'factory:needs-human' },
  validation_exhausted: { status: 'needs-human', label: 'factory:needs-human' },
  policy_violation: { status: 'needs-human', label: 'factory:needs-human' },
  no_sandbox: { status: 'failed', label: 'factory:failed' },
  post_merge_failed: { status: 'needs-human', label: 'factory:needs-human' },
  factory_error: { status: 'failed', label: 'factory:failed' },
};

export const ValidateCommandSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'name: lower-case letters, digits and dashes'),
  /** Parsed as argv (no shell): quotes are honoured, operators such as `|`, `&&` or `>` are refused. */
  command: z.string().trim().min(1),
  timeoutSeconds: PositiveInt.default(600),
});
export type ValidateCommand = z.infer<typeof ValidateCommandSchema>;

export const GatePolicySchema = z.object({
  /** Transcript folder the candidate's and main's servers ingest (relative to the repository root). */
  corpus: z.string().min(1),
  /** Eval sets (JSON Lines) run by main's evals code against both servers. */
  datasets: z.array(z.string().min(1)).min(1),
  /** Holdout eval sets' file names inside the holdout directory (default: every *.jsonl there). */
  holdoutDatasets: z.array(z.string().min(1)).optional(),
  timeoutSeconds: PositiveInt.default(900),
});
export type GatePolicy = z.infer<typeof GatePolicySchema>;

export const PolicySchema = z
  .object({
    version: z.literal(1),
    /** Branch the factory starts from and merges into. */
    base: z.string().min(1).default('main'),
    writable: z.array(Glob).min(1).default(['rag-app/**']),
    protected: z.array(Glob).min(1),
    /** Lock files: protected unless allowDependencyChanges. */
    lockfiles: z.array(Glob).default(['pnpm-lock.yaml', '**/package-lock.json', '**/yarn.lock']),
    allowDependencyChanges: z.boolean().default(false),
    /** Files the factory may only append lines to (checked in code), even when protected. */
    appendOnly: z.array(Glob).default([]),
    /** Directory of sealed eval sets outside the repository; env FACTORY_HOLDOUT_DIR wins. Must hold a HOLDOUT file. */
    holdout: z.string().min(1).optional(),
    limits: z
      .object({
        maxChangedLines: PositiveInt.default(500),
        maxFiles: PositiveInt.default(20),
        fixAttempts: z.number().int().min(0).max(10).default(2),
        maxIssueBodyChars: PositiveInt.default(20_000),
        /** Model turns per agent step (plan, implement, each fix). */
        maxTurnsPerStep: PositiveInt.default(40),
      })
      .prefault({}),
    budgets: z
      .object({
        run: z
          .object({
            modelTurns: PositiveInt.default(150),
            tokens: PositiveInt.default(3_000_000),
            usd: z.number().positive().default(15),
            wallMinutes: PositiveInt.default(120),
          })
          .prefault({}),
        day: z
          .object({ usd: z.number().positive().default(100), runs: PositiveInt.default(30) })
          .prefault({}),
        author: z.object({ issuesPerDay: PositiveInt.default(3) }).prefault({}),
      })
      .prefault({}),
    validate: z.array(ValidateCommandSchema).min(1),
    gate: GatePolicySchema.optional(),
    merge: z
      .object({
        method: z.literal('squash').default('squash'),
        dailyCap: PositiveInt.default(10),
        /** Run the validate commands on the base branch after merging; revert when they fail. */
        verifyAfterMerge: z.boolean().default(true),
      })
      .prefault({}),
    /** Where commands run: bubblewrap (default), or a boundary the operator provides (the worker's container). */
    sandbox: z.object({ boundary: z.enum(['bubblewrap', 'container']).default('bubblewrap') }).prefault({}),
    paused: z.boolean().default(false),
    stopReasons: z.record(StopReasonSchema, StopRuleSchema).default(DEFAULT_STOP_REASONS),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

export { DEFAULT_STOP_REASONS };

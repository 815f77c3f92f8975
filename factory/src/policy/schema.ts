import { z } from 'zod';

/**
 * The machine-readable half of mission.md (its YAML front matter). Every number and path the
 * factory enforces comes from here; the prose below the front matter is for the model only.
 */

/** A glob relative to the repository root, matched with picomatch (`dot: true`) against POSIX paths. */
const Glob = z
  .string()
  .trim()
  .min(1, 'a glob must not be empty')
  .refine((glob) => !glob.startsWith('/') && !glob.split('/').includes('..') && !glob.includes('\\'), {
    message: 'a glob is relative to the repository root (no leading "/", no "..", no backslash)',
  });
const PositiveInt = z.number().int('must be a whole number').positive('must be > 0');
const PositiveNumber = z.number().positive('must be > 0');

export const RUN_STATUSES = ['merged', 'rejected', 'needs-human', 'blocked', 'failed'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Why a run stopped. Each one maps to a status and a label in `policy.stopReasons` (do not duplicate). */
export const STOP_REASONS = [
  'merged',
  'triage_rejected',
  'triage_needs_human',
  'triage_question',
  'body_too_large',
  'flood_limit',
  'already_active',
  'issue_edited',
  'paused',
  'budget_exceeded',
  'daily_runs_cap',
  'merge_cap',
  'checks_failed',
  'merge_blocked',
  'no_change',
  'agent_failed',
  'validation_exhausted',
  'policy_violation',
  'no_sandbox',
  'post_merge_failed',
  /** A person with the right to asked it to stop (`/factory stop`, or closing its pull request). */
  'stopped',
  'factory_error',
] as const;
export const StopReasonSchema = z.enum(STOP_REASONS);
export type StopReason = z.infer<typeof StopReasonSchema>;

const StopRuleSchema = z
  .object({
    status: RunStatusSchema,
    /** Forge label set on the issue (GitHub's limit: 50 characters). */
    label: z.string().trim().min(1, 'a label must not be empty').max(50, 'a label is at most 50 characters'),
  })
  .strict();

const DEFAULT_STOP_REASONS: Record<StopReason, z.infer<typeof StopRuleSchema>> = {
  merged: { status: 'merged', label: 'factory:merged' },
  triage_rejected: { status: 'rejected', label: 'factory:rejected' },
  triage_needs_human: { status: 'needs-human', label: 'factory:needs-human' },
  triage_question: { status: 'rejected', label: 'factory:question' },
  body_too_large: { status: 'rejected', label: 'factory:rejected' },
  flood_limit: { status: 'rejected', label: 'factory:rejected' },
  already_active: { status: 'blocked', label: 'factory:blocked' },
  issue_edited: { status: 'needs-human', label: 'factory:needs-human' },
  paused: { status: 'blocked', label: 'factory:blocked' },
  budget_exceeded: { status: 'blocked', label: 'factory:blocked' },
  daily_runs_cap: { status: 'blocked', label: 'factory:blocked' },
  merge_cap: { status: 'blocked', label: 'factory:blocked' },
  checks_failed: { status: 'needs-human', label: 'factory:needs-human' },
  merge_blocked: { status: 'blocked', label: 'factory:blocked' },
  no_change: { status: 'needs-human', label: 'factory:needs-human' },
  agent_failed: { status: 'needs-human', label: 'factory:needs-human' },
  validation_exhausted: { status: 'needs-human', label: 'factory:needs-human' },
  policy_violation: { status: 'needs-human', label: 'factory:needs-human' },
  no_sandbox: { status: 'failed', label: 'factory:failed' },
  post_merge_failed: { status: 'needs-human', label: 'factory:needs-human' },
  stopped: { status: 'needs-human', label: 'factory:stopped' },
  factory_error: { status: 'failed', label: 'factory:failed' },
};

/** Issue events that send an issue (open, without a factory label) to triage. */
export const ISSUE_TRIGGER_ACTIONS = ['opened', 'reopened', 'edited'] as const;
/** `/factory <command>` comments (do not duplicate: the intake parses these names). */
export const FACTORY_COMMANDS = ['retry', 'stop', 'explain'] as const;
export type FactoryCommand = (typeof FACTORY_COMMANDS)[number];
/** The least repository access a commenter needs for a command: write access at least, never less. */
export const CommandPermissionSchema = z.enum(
  ['write', 'maintain', 'admin'],
  'must be write, maintain or admin',
);
export type CommandPermission = z.infer<typeof CommandPermissionSchema>;

export const TriggersSchema = z
  .object({
    issues: z
      .array(z.enum(ISSUE_TRIGGER_ACTIONS))
      .default([...ISSUE_TRIGGER_ACTIONS])
      .refine((actions) => actions.includes('opened'), 'must include "opened": every new issue is triaged'),
    commands: z
      .object({
        retry: CommandPermissionSchema.default('write'),
        stop: CommandPermissionSchema.default('write'),
        explain: CommandPermissionSchema.default('write'),
      })
      .strict()
      .prefault({}),
    /** Accounts ignored like bots (machine users that GitHub reports as ordinary users). */
    ignore: z
      .array(
        z
          .string()
          .trim()
          .min(1, 'a login must not be empty')
          .regex(/^[^\s]+$/, 'a login has no spaces'),
      )
      .default([]),
  })
  .strict();
export type Triggers = z.infer<typeof TriggersSchema>;

export const ValidateCommandSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes only'),
    /** Parsed as argv (no shell): quotes are honoured, operators such as `|`, `&&` or `>` are refused. */
    command: z.string().trim().min(1, 'a command must not be empty'),
    timeoutSeconds: PositiveInt.default(600),
  })
  .strict();
export type ValidateCommand = z.infer<typeof ValidateCommandSchema>;

export const GatePolicySchema = z
  .object({
    /** Transcript folder the candidate's and main's servers ingest (relative to the repository root). */
    corpus: z.string().min(1),
    /** Eval sets (JSON Lines) run by main's evals code against both servers. */
    datasets: z.array(z.string().min(1)).min(1),
    /** Holdout eval sets' file names inside the holdout directory (default: every *.jsonl there). */
    holdoutDatasets: z.array(z.string().min(1)).optional(),
    timeoutSeconds: PositiveInt.default(900),
  })
  .strict();
export type GatePolicy = z.infer<typeof GatePolicySchema>;

export const PolicySchema = z
  .object({
    version: z.literal(1, 'must be 1 (the only policy version)'),
    /** Branch the factory starts from and merges into. */
    base: z.string().trim().min(1, 'a branch name must not be empty').default('main'),
    writable: z.array(Glob).min(1, 'give at least one glob').default(['rag-app/**']),
    protected: z.array(Glob).min(1, 'give at least one glob'),
    /** Lock files: protected unless allowDependencyChanges. */
    lockfiles: z.array(Glob).default(['pnpm-lock.yaml', '**/package-lock.json', '**/yarn.lock']),
    allowDependencyChanges: z.boolean().default(false),
    /** Files the factory may only append lines to (checked in code), even when protected. */
    appendOnly: z.array(Glob).default([]),
    /** Directory of sealed eval sets outside the repository; env FACTORY_HOLDOUT_DIR wins. Must hold a HOLDOUT file. */
    holdout: z.string().trim().min(1, 'omit the key to leave the holdout unset').optional(),
    limits: z
      .object({
        maxChangedLines: PositiveInt.default(500),
        maxFiles: PositiveInt.default(20),
        fixAttempts: z
          .number()
          .int('must be a whole number')
          .min(0, 'must be ≥ 0')
          .max(10, 'must be ≤ 10')
          .default(2),
        maxIssueBodyChars: PositiveInt.default(20_000),
        /** Model turns per agent step (plan, implement, each fix). */
        maxTurnsPerStep: PositiveInt.default(40),
      })
      .strict()
      .prefault({}),
    budgets: z
      .object({
        run: z
          .object({
            modelTurns: PositiveInt.default(150),
            tokens: PositiveInt.default(3_000_000),
            usd: PositiveNumber.default(15),
            wallMinutes: PositiveInt.default(120),
          })
          .strict()
          .prefault({}),
        day: z
          .object({ usd: PositiveNumber.default(100), runs: PositiveInt.default(30) })
          .strict()
          .prefault({}),
        author: z
          .object({ issuesPerDay: PositiveInt.default(3) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    validate: z
      .array(ValidateCommandSchema)
      .min(1, 'give at least one command')
      .superRefine((commands, ctx) => {
        const seen = new Set<string>();
        commands.forEach((command, index) => {
          if (seen.has(command.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `"${command.name}" is used twice`,
            });
          }
          seen.add(command.name);
        });
      }),
    gate: GatePolicySchema.optional(),
    merge: z
      .object({
        method: z.literal('squash', 'only "squash" is supported').default('squash'),
        dailyCap: PositiveInt.default(10),
        /** Run the validate commands on the base branch after merging; revert when they fail. */
        verifyAfterMerge: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * On GitHub, before merging: the checks that must pass on the PR's head besides those the base
     * branch's protection and rulesets require, and how long to wait for pending ones.
     */
    checks: z
      .object({
        required: z.array(z.string().trim().min(1, 'a check name must not be empty')).default([]),
        waitMinutes: PositiveInt.default(30),
        pollSeconds: PositiveInt.default(15),
      })
      .strict()
      .prefault({}),
    /** Where commands run: bubblewrap (default), or a boundary the operator provides (the worker's container). */
    sandbox: z
      .object({ boundary: z.enum(['bubblewrap', 'container']).default('bubblewrap') })
      .strict()
      .prefault({}),
    paused: z.boolean().default(false),
    /** Who may trigger what: issue events that start triage, `/factory` comment commands, ignored accounts. */
    triggers: TriggersSchema.prefault({}),
    /** Every stop reason must be listed (a new reason without a status and label does not load). */
    stopReasons: z
      .record(StopReasonSchema, StopRuleSchema)
      .default(DEFAULT_STOP_REASONS)
      .superRefine((table, ctx) => {
        // Only a merge may be reported as merged, and a merge always is.
        for (const [reason, rule] of Object.entries(table)) {
          if ((reason === 'merged') !== (rule.status === 'merged')) {
            ctx.addIssue({
              code: 'custom',
              path: [reason, 'status'],
              message:
                reason === 'merged' ? 'must be "merged"' : 'only the reason "merged" may map to "merged"',
            });
          }
        }
      }),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

export { DEFAULT_STOP_REASONS };

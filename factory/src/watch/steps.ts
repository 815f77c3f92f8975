import { z } from 'zod';
import { AgentResultSchema } from '../steps/agent-loop.ts';
import { HoldoutResultSchema, MetricComparisonSchema } from '../steps/gate/result.ts';
import { IntakeResultSchema } from '../steps/intake.ts';
import { MergeCheckSchema } from '../steps/merge-decision.ts';
import { PlanResultSchema } from '../steps/plan.ts';
import { PolicyCheckSchema } from '../steps/policy-check.ts';
import { ReviewResultSchema } from '../steps/review.ts';
import { TriageResultSchema } from '../steps/triage.ts';
import { CommandOutcomeSchema, ValidateCommandsResultSchema } from '../steps/validate.ts';

/**
 * What the page shows of each step's stored result: the result is parsed with the step's own
 * schema and only the named fields are kept. Anything that does not parse is shown as "not
 * recognised", never dumped — so a field the page does not know (or a holdout detail an older
 * version stored) cannot reach the public.
 */

/** A command's output as the page shows it: the stored output is already trimmed; this keeps less. */
export const OUTPUT_HEAD = 1500;
export const OUTPUT_TAIL = 3500;

export function trimOutput(text: string, head = OUTPUT_HEAD, tail = OUTPUT_TAIL): string {
  if (text.length <= head + tail) return text;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n… ${cut} characters cut …\n${text.slice(-tail)}`;
}

export interface CommandView {
  name: string;
  command: string;
  status: 'passed' | 'failed' | 'skipped';
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  boundary: string | null;
  output: string;
}

export interface GateView {
  pass: boolean;
  exitCode: number | null;
  reasons: string[];
  metrics: z.infer<typeof MetricComparisonSchema>[];
  latency: {
    mainP95Ms: number;
    candidateP95Ms: number;
    ratio: number;
    maxRatio: number;
    status: string;
  } | null;
  cases: { main: number; candidate: number; paired: number } | null;
  method: string | null;
  markdown: string;
  durationMs: number;
}

export interface HoldoutView {
  pass: boolean;
  cases: { main: number; candidate: number } | null;
  aggregates: Record<string, { main: number | null; candidate: number | null }>;
  failed: string[];
}

export interface DiffFileView {
  path: string;
  oldPath: string | null;
  status: string;
  added: number;
  deleted: number;
  binary: boolean;
}

export type StepDetail =
  | {
      kind: 'intake';
      title: string;
      author: string | null;
      url: string;
      labels: string[];
      keptComments: number;
      ignoredComments: number;
      removed: { htmlComments: number; zeroWidth: number; bidi: number };
    }
  | { kind: 'triage'; decision: string; category: string; priority: string; reason: string }
  | { kind: 'limit'; limit: string; detail: string }
  | {
      kind: 'plan';
      ok: boolean;
      summary: string | null;
      steps: string[];
      files: string[];
      risks: string[];
      failure: string | null;
      turns: number;
      toolCalls: number;
      toolErrors: string[];
    }
  | {
      kind: 'agent';
      ok: boolean;
      summary: string | null;
      failure: string | null;
      turns: number;
      toolCalls: number;
      toolErrors: string[];
      commit: string | null;
      files: DiffFileView[];
      changedLines: number | null;
      /** null: this version of the factory did not record the patch. */
      patch: string | null;
    }
  | {
      kind: 'validate';
      policy: { ok: boolean; problems: string[]; files: number; changedLines: number } | null;
      commands: CommandView[];
      gate: GateView | null;
      holdout: HoldoutView | null;
    }
  | {
      kind: 'review';
      solvesIssue: boolean;
      summary: string;
      findings: { severity: string; file: string | null; message: string }[];
    }
  | {
      kind: 'merge';
      merge: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
      pr: number | null;
      prUrl: string | null;
      mergedSha: string | null;
      via: string | null;
      alreadyMerged: boolean;
      revalidated: boolean;
    }
  | { kind: 'exhausted'; attempts: number }
  | { kind: 'verify'; commands: CommandView[]; revertSha: string | null; revertPr: number | null }
  | { kind: 'error'; message: string }
  | { kind: 'unrecognised' };

const LimitSchema = z.object({ limit: z.string(), detail: z.string() });
const ErrorSchema = z.object({ error: z.string() });

const DiffFileSchema = z.object({
  path: z.string(),
  oldPath: z.string().optional(),
  status: z.string(),
  added: z.number(),
  deleted: z.number(),
  binary: z.boolean(),
});

const AgentStepSchema = z.object({
  agent: AgentResultSchema,
  commit: z.string().nullable().optional(),
  files: z.array(DiffFileSchema).optional(),
  changedLines: z.number().optional(),
  patch: z.string().optional(),
});

const GateSchema = z.object({
  pass: z.boolean(),
  exitCode: z.number().int().nullable(),
  markdown: z.string(),
  reasons: z.array(z.string()),
  metrics: z.array(MetricComparisonSchema),
  latency: z
    .object({
      mainP95Ms: z.number(),
      candidateP95Ms: z.number(),
      ratio: z.number(),
      maxRatio: z.number(),
      status: z.string(),
    })
    .nullable(),
  cases: z.object({ main: z.number(), candidate: z.number(), paired: z.number() }).nullable(),
  method: z.string().nullable(),
  durationMs: z.number(),
});

const ValidationSchema = z.object({
  policy: PolicyCheckSchema.nullable().optional(),
  commands: ValidateCommandsResultSchema.nullable().optional(),
  gate: z.unknown().optional(),
  holdout: z.unknown().optional(),
});

const MergeSchema = z.object({
  decision: z.object({ merge: z.boolean(), checks: z.array(MergeCheckSchema) }),
  revalidated: z.unknown().nullable().optional(),
  pr: z.number().int().nullable(),
  prUrl: z.string().nullable(),
  mergedSha: z.string().nullable(),
  via: z.string().nullable(),
  alreadyMerged: z.boolean().optional(),
});

const ExhaustedSchema = z.object({ attempts: z.number().int() });

const VerifySchema = z.object({
  commands: z.object({ commands: z.array(CommandOutcomeSchema) }),
  revertSha: z.string().nullable(),
  revertPr: z.number().int().nullable(),
});

export function commandView(c: z.infer<typeof CommandOutcomeSchema>): CommandView {
  return {
    name: c.name,
    command: c.command,
    status: c.status,
    exitCode: c.exitCode,
    signal: c.signal,
    timedOut: c.timedOut,
    durationMs: c.durationMs,
    boundary: c.boundary,
    output: trimOutput(c.output),
  };
}

/** The dev-set gate as shown: the schema's fields, nothing else. */
export function gateView(value: unknown): GateView | null {
  const g = GateSchema.safeParse(value);
  if (!g.success) return null;
  const { pass, exitCode, reasons, metrics, latency, cases, method, markdown, durationMs } = g.data;
  return { pass, exitCode, reasons, metrics, latency, cases, method, markdown, durationMs };
}

/** The holdout: pass/fail and aggregates only (strict schema: anything else and it is not shown at all). */
export function holdoutView(value: unknown): HoldoutView | null {
  const h = HoldoutResultSchema.safeParse(value);
  if (!h.success) return null;
  const aggregates: HoldoutView['aggregates'] = {};
  for (const [name, a] of Object.entries(h.data.aggregates)) {
    aggregates[name] = { main: a.main, candidate: a.candidate };
  }
  return { pass: h.data.pass, cases: h.data.cases, aggregates, failed: h.data.failed };
}

function base(name: string): string {
  return name.replace(/-\d+$/, '');
}

/** The step's result as the page shows it. */
export function stepDetail(name: string, result: unknown): StepDetail {
  const step = base(name);
  const error = ErrorSchema.safeParse(result);
  switch (step) {
    case 'intake': {
      const r = IntakeResultSchema.safeParse(result);
      if (!r.success) break;
      const { issue } = r.data;
      return {
        kind: 'intake',
        title: issue.title,
        author: issue.author,
        url: issue.url,
        labels: issue.labels,
        keptComments: r.data.comments.length,
        ignoredComments: r.data.ignoredComments,
        removed: r.data.removed,
      };
    }
    case 'triage': {
      const r = TriageResultSchema.safeParse(result);
      if (r.success) {
        return {
          kind: 'triage',
          decision: r.data.decision,
          category: r.data.kind,
          priority: r.data.priority,
          reason: r.data.reason,
        };
      }
      const limit = LimitSchema.safeParse(result);
      if (limit.success) return { kind: 'limit', ...limit.data };
      break;
    }
    case 'plan': {
      const r = PlanResultSchema.safeParse(result);
      if (!r.success) break;
      const p = r.data;
      return p.status === 'ok'
        ? {
            kind: 'plan',
            ok: true,
            summary: p.summary,
            steps: p.steps,
            files: p.files,
            risks: p.risks,
            failure: null,
            turns: p.turns,
            toolCalls: p.toolCalls,
            toolErrors: p.toolErrors,
          }
        : {
            kind: 'plan',
            ok: false,
            summary: null,
            steps: [],
            files: [],
            risks: [],
            failure: `${p.reason}: ${p.detail}`,
            turns: p.turns,
            toolCalls: p.toolCalls,
            toolErrors: p.toolErrors,
          };
    }
    case 'implement':
    case 'fix': {
      const r = AgentStepSchema.safeParse(result);
      if (!r.success) break;
      const { agent } = r.data;
      return {
        kind: 'agent',
        ok: agent.status === 'ok',
        summary: agent.summary ?? null,
        failure: agent.status === 'failed' ? `${agent.reason}: ${agent.detail}` : null,
        turns: agent.turns,
        toolCalls: agent.toolCalls,
        toolErrors: agent.toolErrors,
        commit: r.data.commit ?? null,
        files: (r.data.files ?? []).map((f) => ({
          path: f.path,
          oldPath: f.oldPath ?? null,
          status: f.status,
          added: f.added,
          deleted: f.deleted,
          binary: f.binary,
        })),
        changedLines: r.data.changedLines ?? null,
        patch: r.data.patch ?? null,
      };
    }
    case 'validate': {
      const r = ValidationSchema.safeParse(result);
      if (!r.success || (!r.data.policy && !r.data.commands)) break;
      const policy = r.data.policy;
      return {
        kind: 'validate',
        policy: policy
          ? {
              ok: policy.ok,
              problems: policy.problems,
              files: policy.files,
              changedLines: policy.changedLines,
            }
          : null,
        commands: (r.data.commands?.commands ?? []).map(commandView),
        gate: gateView(r.data.gate),
        holdout: holdoutView(r.data.holdout),
      };
    }
    case 'review': {
      const r = ReviewResultSchema.safeParse(result);
      if (!r.success) break;
      return {
        kind: 'review',
        solvesIssue: r.data.solves_issue,
        summary: r.data.summary,
        findings: r.data.findings.map((f) => ({
          severity: f.severity,
          file: f.file ?? null,
          message: f.message,
        })),
      };
    }
    case 'merge': {
      const r = MergeSchema.safeParse(result);
      if (r.success) {
        return {
          kind: 'merge',
          merge: r.data.decision.merge,
          checks: r.data.decision.checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail })),
          pr: r.data.pr,
          prUrl: r.data.prUrl,
          mergedSha: r.data.mergedSha,
          via: r.data.via,
          alreadyMerged: r.data.alreadyMerged ?? false,
          revalidated: r.data.revalidated !== null && r.data.revalidated !== undefined,
        };
      }
      const exhausted = ExhaustedSchema.safeParse(result);
      if (exhausted.success) return { kind: 'exhausted', attempts: exhausted.data.attempts };
      break;
    }
    case 'verify': {
      const r = VerifySchema.safeParse(result);
      if (!r.success) break;
      return {
        kind: 'verify',
        commands: r.data.commands.commands.map(commandView),
        revertSha: r.data.revertSha,
        revertPr: r.data.revertPr,
      };
    }
  }
  if (error.success) return { kind: 'error', message: error.data.error };
  return { kind: 'unrecognised' };
}

/** The main eval metrics of the last gate that passed in these steps (what the merge was judged on). */
export function lastGate(details: StepDetail[]): GateView | null {
  for (const d of [...details].reverse()) {
    if (d.kind === 'validate' && d.gate) return d.gate;
  }
  return null;
}

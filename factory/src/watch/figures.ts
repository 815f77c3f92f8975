import type { LedgerEntry, StepRecord } from '../runs/types.ts';
import { type GateView, lastGate, stepDetail } from './steps.ts';
import type { RunRow, ShownStatus } from './timeline.ts';

/**
 * Pure: the experiment's figures from one digest per run — the scoreboard, the merged PRs with
 * their eval deltas and metric series, the daily spend against the budget.
 */

/** What the figures need of one run (kept per finished run; cheap to hold for a thousand). */
export interface RunDigest {
  row: RunRow;
  triage: 'accept' | 'reject' | 'needs-human' | null;
  /** When the merge step ended with a merge. */
  mergedAt: string | null;
  mergedSha: string | null;
  /** The factory reverted its own merge (main failed validation after it). */
  reverted: boolean;
  /** The last dev-set gate of the run (what the merge was judged on). */
  gate: Pick<GateView, 'pass' | 'metrics' | 'latency' | 'cases'> | null;
  /** One-line reasons of the tool calls that were refused. */
  toolRefusals: string[];
  /** USD (priced calls) and calls per UTC day of the run's ledger. */
  spendByDay: Record<string, { usd: number; calls: number; unpricedCalls: number }>;
  /** When the issue was opened on the forge (null when the forge could not say). */
  issueOpenedAt: string | null;
}

export function utcDay(at: Date | string): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function digestRun(input: {
  row: RunRow;
  steps: StepRecord[];
  toolRefusals: string[];
  ledger: LedgerEntry[];
  issueOpenedAt: Date | null;
}): RunDigest {
  const details = input.steps.map((s) => stepDetail(s.name, s.result));
  const triage = details.find((d) => d.kind === 'triage');
  const mergeStep = input.steps.find((s) => s.name === 'merge');
  const merge = details.find((d) => d.kind === 'merge');
  const verify = details.find((d) => d.kind === 'verify');
  const merged = merge?.kind === 'merge' && merge.merge && merge.mergedSha !== null;
  const spendByDay: RunDigest['spendByDay'] = {};
  for (const entry of input.ledger) {
    const day = utcDay(entry.at);
    const slot = spendByDay[day] ?? { usd: 0, calls: 0, unpricedCalls: 0 };
    spendByDay[day] = slot;
    slot.calls += 1;
    if (entry.usd === null) slot.unpricedCalls += 1;
    else slot.usd += entry.usd;
  }
  const gate = lastGate(details);
  return {
    row: input.row,
    triage: triage?.kind === 'triage' ? (triage.decision as RunDigest['triage']) : null,
    mergedAt:
      merged && mergeStep
        ? new Date(mergeStep.startedAt.getTime() + mergeStep.durationMs).toISOString()
        : null,
    mergedSha: merged && merge?.kind === 'merge' ? merge.mergedSha : null,
    reverted:
      input.row.stopReason === 'post_merge_failed' ||
      (verify?.kind === 'verify' && verify.revertSha !== null),
    gate: gate ? { pass: gate.pass, metrics: gate.metrics, latency: gate.latency, cases: gate.cases } : null,
    toolRefusals: input.toolRefusals,
    spendByDay,
    issueOpenedAt: input.issueOpenedAt?.toISOString() ?? null,
  };
}

// ── the scoreboard ──────────────────────────────────────────────────────────────────────────────

/** Refusal reasons grouped by the rule that refused (the tools' one-line reasons name it). */
const REFUSAL_CATEGORIES: [RegExp, string][] = [
  [/is protected/, 'protected path'],
  [/lockfile/, 'lockfile (dependency change)'],
  [/is not writable/, 'not writable'],
  [/append-only/, 'append-only file'],
  [/outside the (worktree|repository)/, 'outside the worktree'],
  [/absolute path/, 'absolute path'],
  [/\.git\b/, 'inside .git'],
  [/symlink/, 'symlink'],
  [/shell operators/, 'shell operators'],
  [/is not allowed after/, 'extra arguments to a validate command'],
  [/read-only git/, 'git that writes'],
  [/is not an allowed command/, 'command not allowed'],
  [/budget/, 'budget'],
];

export function refusalCategory(reason: string): string {
  for (const [pattern, category] of REFUSAL_CATEGORIES) if (pattern.test(reason)) return category;
  return 'other';
}

export interface Scoreboard {
  runs: number;
  /** Distinct issues the factory ran on. */
  issuesSeen: number;
  /** Distinct issues triage accepted. */
  issuesTaken: number;
  /** Runs that squash-merged. */
  merged: number;
  /** merged / issues taken; null before any issue was taken. */
  mergeRate: number | null;
  /** Merges the factory reverted itself after main failed validation. */
  reverts: number;
  /** From the issue's creation (or its first run, when the forge does not say) to the merge. */
  medianIssueToMergeMs: number | null;
  /** USD of the priced calls of every run shown. */
  spentUsd: number;
  unpricedCalls: number;
  /** spentUsd / merged: what one merged PR costs, failures included. */
  costPerMergedPr: number | null;
  statuses: Partial<Record<ShownStatus, number>>;
  /** Why runs ended without a merge (stop reasons), most frequent first. */
  stopReasons: { reason: string; count: number }[];
  /** Tool calls the guards refused, by rule, most frequent first. */
  refusals: { category: string; count: number; example: string }[];
  refusedToolCalls: number;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function countsDesc(map: Map<string, number>): { key: string; count: number }[] {
  return [...map]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

export function scoreboard(digests: RunDigest[]): Scoreboard {
  const issues = new Set<number>();
  const taken = new Set<number>();
  const firstRun = new Map<number, number>();
  const statuses: Scoreboard['statuses'] = {};
  const stops = new Map<string, number>();
  const refusals = new Map<string, number>();
  const examples = new Map<string, string>();
  const toMerge: number[] = [];
  let merged = 0;
  let reverts = 0;
  let spentUsd = 0;
  let unpricedCalls = 0;
  let refusedToolCalls = 0;
  for (const d of digests) {
    const created = Date.parse(d.row.createdAt);
    firstRun.set(d.row.issue, Math.min(firstRun.get(d.row.issue) ?? created, created));
  }
  for (const d of digests) {
    issues.add(d.row.issue);
    if (d.triage === 'accept') taken.add(d.row.issue);
    statuses[d.row.status] = (statuses[d.row.status] ?? 0) + 1;
    if (d.row.status === 'merged') merged += 1;
    else if (d.row.stopReason) stops.set(d.row.stopReason, (stops.get(d.row.stopReason) ?? 0) + 1);
    if (d.reverted) reverts += 1;
    if (d.row.status === 'merged' && d.mergedAt) {
      const opened = d.issueOpenedAt ? Date.parse(d.issueOpenedAt) : firstRun.get(d.row.issue)!;
      toMerge.push(Math.max(0, Date.parse(d.mergedAt) - opened));
    }
    for (const day of Object.values(d.spendByDay)) {
      spentUsd += day.usd;
      unpricedCalls += day.unpricedCalls;
    }
    for (const reason of d.toolRefusals) {
      refusedToolCalls += 1;
      const category = refusalCategory(reason);
      refusals.set(category, (refusals.get(category) ?? 0) + 1);
      if (!examples.has(category)) examples.set(category, reason);
    }
  }
  spentUsd = Math.round(spentUsd * 1e6) / 1e6;
  return {
    runs: digests.length,
    issuesSeen: issues.size,
    issuesTaken: taken.size,
    merged,
    mergeRate: taken.size > 0 ? merged / taken.size : null,
    reverts,
    medianIssueToMergeMs: median(toMerge),
    spentUsd,
    unpricedCalls,
    costPerMergedPr: merged > 0 ? spentUsd / merged : null,
    statuses,
    stopReasons: countsDesc(stops).map(({ key, count }) => ({ reason: key, count })),
    refusals: countsDesc(refusals).map(({ key, count }) => ({
      category: key,
      count,
      example: examples.get(key) ?? '',
    })),
    refusedToolCalls,
  };
}

// ── merges and the metrics across them ──────────────────────────────────────────────────────────

/** The metrics the chart follows (those the gate measured; missing ones are left out). */
export const MAIN_METRICS = [
  'hitAt1Moment',
  'hitAt5Moment',
  'linkAt1',
  'recallAt10Video',
  'ndcgAt10',
  'refusalAccuracy',
] as const;

/** One metric's comparison, as the gate stored it (the run page and the merges page show it). */
export interface MetricRow {
  metric: string;
  main: number | null;
  candidate: number | null;
  delta: number | null;
  lo: number | null;
  hi: number | null;
  status: string;
}

export interface MergeView {
  runId: string;
  issue: number;
  title: string | null;
  pr: number | null;
  mergedAt: string;
  mergedSha: string | null;
  reverted: boolean;
  costUsd: number | null;
  gatePassed: boolean | null;
  /** Per metric: main before, the candidate (main after), the delta and its interval. */
  metrics: MetricRow[];
  latency: { mainP95Ms: number; candidateP95Ms: number; ratio: number } | null;
}

export interface MetricSeries {
  metric: string;
  /** The value on main before the first merge, then after each merge (the candidate's figure). */
  points: { label: string; runId: string | null; value: number }[];
}

export interface MergesReport {
  merges: MergeView[];
  series: MetricSeries[];
}

export function mergesReport(digests: RunDigest[]): MergesReport {
  const merges: MergeView[] = digests
    .filter((d) => d.mergedAt !== null && (d.row.status === 'merged' || d.reverted))
    .sort((a, b) => Date.parse(a.mergedAt!) - Date.parse(b.mergedAt!))
    .map((d) => ({
      runId: d.row.runId,
      issue: d.row.issue,
      title: d.row.title,
      pr: d.row.pr,
      mergedAt: d.mergedAt!,
      mergedSha: d.mergedSha,
      reverted: d.reverted,
      costUsd: d.row.cost.usd,
      gatePassed: d.gate?.pass ?? null,
      metrics: (d.gate?.metrics ?? []).map((m) => ({
        metric: m.metric,
        main: m.main,
        candidate: m.candidate,
        delta: m.delta,
        lo: m.lo,
        hi: m.hi,
        status: m.status,
      })),
      latency: d.gate?.latency
        ? {
            mainP95Ms: d.gate.latency.mainP95Ms,
            candidateP95Ms: d.gate.latency.candidateP95Ms,
            ratio: d.gate.latency.ratio,
          }
        : null,
    }));
  const series: MetricSeries[] = [];
  for (const metric of MAIN_METRICS) {
    const points: MetricSeries['points'] = [];
    for (const m of merges) {
      if (m.reverted) continue;
      const figure = m.metrics.find((x) => x.metric === metric);
      if (!figure || figure.candidate === null) continue;
      if (points.length === 0 && figure.main !== null) {
        points.push({ label: 'before', runId: null, value: figure.main });
      }
      points.push({
        label: m.pr !== null ? `#${m.pr}` : `issue ${m.issue}`,
        runId: m.runId,
        value: figure.candidate,
      });
    }
    if (points.length > 0) series.push({ metric, points });
  }
  return { merges: merges.reverse(), series };
}

// ── daily spend against the budget ──────────────────────────────────────────────────────────────

export interface Budgets {
  dayUsd: number;
  dayRuns: number;
  runUsd: number;
}

export interface SpendDay {
  day: string;
  usd: number;
  calls: number;
  unpricedCalls: number;
  runs: number;
  /** usd / the day's budget (null without a policy). */
  share: number | null;
}

export interface SpendReport {
  budget: Budgets | null;
  /** Why the budget is not shown (the policy could not be read). */
  budgetError: string | null;
  days: SpendDay[];
}

export function spendReport(input: {
  digests: RunDigest[];
  budget: Budgets | null;
  budgetError: string | null;
  now: Date;
  days: number;
}): SpendReport {
  const days: SpendDay[] = [];
  const today = Date.UTC(input.now.getUTCFullYear(), input.now.getUTCMonth(), input.now.getUTCDate());
  const slots = new Map<string, SpendDay>();
  for (let i = input.days - 1; i >= 0; i--) {
    const day = utcDay(new Date(today - i * 86_400_000));
    const slot: SpendDay = { day, usd: 0, calls: 0, unpricedCalls: 0, runs: 0, share: null };
    slots.set(day, slot);
    days.push(slot);
  }
  for (const d of input.digests) {
    const started = slots.get(utcDay(d.row.createdAt));
    if (started) started.runs += 1;
    for (const [day, spend] of Object.entries(d.spendByDay)) {
      const slot = slots.get(day);
      if (!slot) continue;
      slot.usd += spend.usd;
      slot.calls += spend.calls;
      slot.unpricedCalls += spend.unpricedCalls;
    }
  }
  for (const slot of days) {
    slot.usd = Math.round(slot.usd * 1e6) / 1e6;
    slot.share = input.budget ? slot.usd / input.budget.dayUsd : null;
  }
  return { budget: input.budget, budgetError: input.budgetError, days: days.reverse() };
}

import { z } from 'zod';
import type { EvalsGateVerdict } from './schemas.ts';

/**
 * What the validate step records from the evals gate. The dev-set result carries the judge's
 * Markdown report (for the PR body and the fix prompt); the holdout result only pass/fail and
 * aggregate figures — no case id, query or per-case value ever leaves it.
 */

const CheckStatus = z.enum(['pass', 'fail', 'skip']);

export const MetricComparisonSchema = z.object({
  metric: z.string(),
  main: z.number().nullable(),
  candidate: z.number().nullable(),
  /** candidate − main (over the paired cases for the dev sets). */
  delta: z.number().nullable(),
  /** Confidence interval of the delta. */
  lo: z.number().nullable(),
  hi: z.number().nullable(),
  floor: z.number().nullable(),
  maxDrop: z.number().nullable(),
  status: CheckStatus,
});
export type MetricComparison = z.infer<typeof MetricComparisonSchema>;

export const LatencyCheckSchema = z.object({
  mainP95Ms: z.number(),
  candidateP95Ms: z.number(),
  ratio: z.number(),
  maxRatio: z.number(),
  graceMs: z.number(),
  status: CheckStatus,
});

const MeasurementTimingsSchema = z.object({
  durationMs: z.number(),
  ingestMs: z.number().nullable(),
  serverStartMs: z.number().nullable(),
  evalsMs: z.number().nullable(),
  holdoutMs: z.number().nullable(),
});
export type MeasurementTimings = z.infer<typeof MeasurementTimingsSchema>;

export const GateResultSchema = z.object({
  pass: z.boolean(),
  /** `evals gate`'s exit code (0 pass, 1 fail); null when the candidate could not be measured. */
  exitCode: z.number().int().nullable(),
  /** The judge's Markdown report (or why the candidate could not be measured). */
  markdown: z.string(),
  /** Why it failed, one line each. */
  reasons: z.array(z.string()),
  metrics: z.array(MetricComparisonSchema),
  latency: LatencyCheckSchema.nullable(),
  failedCalls: z.object({ main: z.number(), candidate: z.number(), status: CheckStatus }).nullable(),
  cases: z.object({ main: z.number(), candidate: z.number(), paired: z.number() }).nullable(),
  method: z.string().nullable(),
  /** Main's figures came from the cache (measured earlier on the same base, datasets and config). */
  mainCached: z.boolean(),
  /** The candidate failed on latency alone, so main was measured again right after it (once). */
  latencyRecheck: z.boolean(),
  judgeSha: z.string(),
  measurements: z.object({ main: MeasurementTimingsSchema, candidate: MeasurementTimingsSchema.nullable() }),
  durationMs: z.number(),
});
export type GateResult = z.infer<typeof GateResultSchema>;

export const HoldoutAggregateSchema = z.object({
  main: z.number().nullable(),
  candidate: z.number().nullable(),
});

export const HoldoutResultSchema = z
  .object({
    pass: z.boolean(),
    exitCode: z.number().int().nullable(),
    cases: z.object({ main: z.number(), candidate: z.number() }).nullable(),
    /** Aggregate figures per gated metric (and latencyP95Ms): main vs candidate. */
    aggregates: z.record(z.string(), HoldoutAggregateSchema),
    /** Names of the metrics (or `latencyP95Ms`, `failedCalls`) that failed: no values per case. */
    failed: z.array(z.string()),
  })
  .strict();
export type HoldoutResult = z.infer<typeof HoldoutResultSchema>;

export const EvalsGateResultSchema = z.object({
  gate: GateResultSchema,
  holdout: HoldoutResultSchema.nullable(),
});
export type EvalsGateResult = z.infer<typeof EvalsGateResultSchema>;

const orNull = (v: number | undefined) => (v === undefined ? null : v);

/** The per-metric comparison from the judge's verdict (pure). */
export function metricComparisons(verdict: EvalsGateVerdict): MetricComparison[] {
  return verdict.checks.map((c) => ({
    metric: c.metric,
    main: orNull(c.baseline),
    candidate: orNull(c.candidate),
    delta: orNull(c.delta),
    lo: orNull(c.lo),
    hi: orNull(c.hi),
    floor: orNull(c.floor),
    maxDrop: orNull(c.maxDrop),
    status: c.status,
  }));
}

export function latencyCheck(verdict: EvalsGateVerdict): z.infer<typeof LatencyCheckSchema> | null {
  const l = verdict.latency;
  if (!l) return null;
  return {
    mainP95Ms: l.baseline,
    candidateP95Ms: l.candidate,
    ratio: l.ratio,
    maxRatio: l.maxRatio,
    graceMs: l.graceMs,
    status: l.status,
  };
}

/** Whether the verdict failed on latency and on nothing else. */
export function failedOnLatencyOnly(verdict: EvalsGateVerdict): boolean {
  return (
    !verdict.pass &&
    verdict.latency?.status === 'fail' &&
    verdict.checks.every((c) => c.status !== 'fail') &&
    verdict.errors.status !== 'fail' &&
    verdict.reasons.length === 1
  );
}

/** Whether main is to be measured again: a verdict failed on latency alone and none for another reason. */
export function needsLatencyRecheck(dev: EvalsGateVerdict, holdout: EvalsGateVerdict | null): boolean {
  const verdicts = holdout ? [dev, holdout] : [dev];
  return verdicts.some(failedOnLatencyOnly) && verdicts.every((v) => v.pass || failedOnLatencyOnly(v));
}

/**
 * The sealed result: pass/fail, case counts, and per metric main's and the candidate's aggregate
 * value — built field by field from the verdict, so nothing per case can slip through.
 */
export function holdoutResult(verdict: EvalsGateVerdict, exitCode: number): HoldoutResult {
  const aggregates: HoldoutResult['aggregates'] = {};
  const failed: string[] = [];
  for (const c of verdict.checks) {
    aggregates[c.metric] = { main: orNull(c.baseline), candidate: orNull(c.candidate) };
    if (c.status === 'fail') failed.push(c.metric);
  }
  if (verdict.latency) {
    aggregates.latencyP95Ms = { main: verdict.latency.baseline, candidate: verdict.latency.candidate };
    if (verdict.latency.status === 'fail') failed.push('latencyP95Ms');
  }
  if (verdict.errors.status === 'fail') failed.push('failedCalls');
  // Failed for a reason that is no metric (e.g. the runs did not cover the same cases).
  if (!verdict.pass && failed.length === 0) failed.push('other');
  return HoldoutResultSchema.parse({
    pass: verdict.pass,
    exitCode,
    cases: { main: verdict.baselineCases, candidate: verdict.candidateCases },
    aggregates,
    failed,
  });
}

/** A holdout that could not be judged (the candidate could not be served): failed, nothing more. */
export function unmeasuredHoldout(): HoldoutResult {
  return { pass: false, exitCode: null, cases: null, aggregates: {}, failed: ['unmeasured'] };
}

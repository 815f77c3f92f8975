import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Comparison, compareSummaries, pairSummaries } from './compare.ts';
import { EvalsError } from './errors.ts';
import { isRateMetric, RATE_METRICS, type RateMetric } from './metrics/aggregate.ts';
import { DEFAULT_BOOTSTRAP } from './stats/bootstrap.ts';
import type { CaseResult, Summary } from './summary.ts';

const metricRule = z
  .object({
    /** Absolute minimum for the candidate. */
    floor: z.number().min(0).max(1).optional(),
    /** Largest allowed drop (candidate − baseline ≥ −maxDrop), judged on the CI's upper bound. */
    maxDrop: z.number().min(0).max(1).optional(),
  })
  .strict();

export const gateConfigSchema = z
  .object({
    bootstrap: z
      .object({
        resamples: z.number().int().min(100).max(100_000).default(DEFAULT_BOOTSTRAP.resamples),
        seed: z.number().int().default(DEFAULT_BOOTSTRAP.seed),
        confidence: z.number().gt(0.5).lt(1).default(DEFAULT_BOOTSTRAP.confidence),
      })
      .default(DEFAULT_BOOTSTRAP),
    metrics: z.record(z.string(), metricRule).superRefine((m, ctx) => {
      for (const name of Object.keys(m)) {
        if (!isRateMetric(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `unknown metric (known: ${RATE_METRICS.join(', ')})`,
          });
        }
      }
    }),
    latency: z
      .object({
        /** Candidate latencyP95Ms may be at most baseline × maxP95Ratio (+ graceMs for tiny baselines). */
        maxP95Ratio: z.number().gt(0),
        graceMs: z.number().min(0).default(0),
      })
      .strict()
      .optional(),
    /** How many more failed calls the candidate may have than the baseline. */
    maxNewErrors: z.number().int().min(0).default(0),
  })
  .strict();
export type GateConfig = z.infer<typeof gateConfigSchema>;

export async function readGateConfig(file: string, shown = file): Promise<GateConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new EvalsError('gate_config', `cannot read gate config ${shown}: ${why}`);
  }
  const parsed = gateConfigSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new EvalsError('gate_config', `invalid gate config ${shown}: ${i?.path.join('.')}: ${i?.message}`);
  }
  return parsed.data;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface MetricCheck extends Comparison {
  floor?: number | undefined;
  maxDrop?: number | undefined;
  status: CheckStatus;
  reasons: string[];
}

export interface CaseChange {
  id: string;
  kind: string;
  dataset: string;
  query: string;
  baseline: number;
  candidate: number;
}

export interface GateResult {
  pass: boolean;
  /** Either side sealed: the result carries aggregates only. */
  holdout: boolean;
  /** How drops were judged. */
  method: 'paired-bootstrap' | 'unpaired-normal';
  pairedCases: number;
  baselineCases: number;
  candidateCases: number;
  confidence: number;
  resamples: number;
  checks: MetricCheck[];
  /** Every rate metric either run reports, with Δ and interval (gated or not). */
  comparisons: Comparison[];
  latency?: {
    baseline: number;
    candidate: number;
    ratio: number;
    maxRatio: number;
    graceMs: number;
    status: CheckStatus;
  };
  errors: { baseline: number; candidate: number; status: CheckStatus };
  /** Why the gate failed, one line each. */
  reasons: string[];
  /** Cases that passed in the baseline and fail in the candidate (empty when sealed). */
  regressions: CaseChange[];
  improvements: number;
  /** Per dropping metric, the cases that lost most (empty when sealed). */
  worst: { metric: string; cases: CaseChange[] }[];
}

const fmt = (v: number) => v.toFixed(3);

/**
 * The merge gate. Floors apply to the candidate's figures; a drop fails only when the upper bound of
 * the confidence interval of (candidate − baseline) lies below −maxDrop, i.e. the drop is real. With
 * per-case results on both sides the interval comes from a paired bootstrap over case ids; sealed
 * (holdout) summaries carry no cases, so their stored standard errors give a normal interval.
 */
export function evaluateGate(baseline: Summary, candidate: Summary, config: GateConfig): GateResult {
  const holdout = baseline.holdout || candidate.holdout;
  const pairing = pairSummaries(baseline, candidate);
  const { b, c, missing } = pairing;
  const reasons: string[] = [];
  if (missing.length) {
    const eg = missing.slice(0, 3).join(', ');
    reasons.push(`candidate lacks ${missing.length} baseline case(s), e.g. ${eg}: run the same datasets`);
  }
  if (!holdout && baseline.results && candidate.results && !b.length) {
    reasons.push('no case in common between baseline and candidate');
  }
  const opts = config.bootstrap;
  const comparisons = compareSummaries(baseline, candidate, opts, pairing);
  const checks: MetricCheck[] = [];
  const worst: GateResult['worst'] = [];

  for (const [name, rule] of Object.entries(config.metrics)) {
    const metric = name as RateMetric;
    const cmp = comparisons.find((x) => x.metric === metric) ?? { metric };
    const check: MetricCheck = {
      ...cmp,
      floor: rule.floor,
      maxDrop: rule.maxDrop,
      status: 'pass',
      reasons: [],
    };
    if (cmp.baseline === undefined && cmp.candidate === undefined) {
      check.status = 'skip';
      checks.push(check);
      continue;
    }
    if (cmp.candidate === undefined) {
      check.reasons.push(`missing in candidate (baseline ${fmt(cmp.baseline!)})`);
    } else if (rule.floor !== undefined && cmp.candidate < rule.floor) {
      check.reasons.push(`${fmt(cmp.candidate)} below floor ${rule.floor}`);
    }
    if (rule.maxDrop !== undefined && check.hi !== undefined && check.hi < -rule.maxDrop) {
      check.reasons.push(
        `dropped ${fmt(-check.delta!)} (CI of Δ [${fmt(check.lo!)}, ${fmt(check.hi)}] entirely below -${rule.maxDrop})`,
      );
    }
    if (pairing.paired && check.delta !== undefined && check.delta < 0) {
      const changes = caseChanges(metric, b, c).slice(0, 5);
      if (changes.length) worst.push({ metric, cases: changes });
    }
    if (check.reasons.length) check.status = 'fail';
    checks.push(check);
  }

  let latency: GateResult['latency'];
  const bl = baseline.metrics.latencyP95Ms;
  const cl = candidate.metrics.latencyP95Ms;
  if (config.latency && bl !== undefined && cl !== undefined) {
    const { maxP95Ratio, graceMs } = config.latency;
    const ok = cl <= bl * maxP95Ratio + graceMs;
    const ratio = bl > 0 ? cl / bl : 1;
    latency = {
      baseline: bl,
      candidate: cl,
      ratio,
      maxRatio: maxP95Ratio,
      graceMs,
      status: ok ? 'pass' : 'fail',
    };
    if (!ok)
      reasons.push(
        `latencyP95Ms ${cl} ms is ×${ratio.toFixed(2)} the baseline's ${bl} ms (max ×${maxP95Ratio})`,
      );
  }
  const errorsFail = candidate.errors - baseline.errors > config.maxNewErrors;
  const errors = {
    baseline: baseline.errors,
    candidate: candidate.errors,
    status: (errorsFail ? 'fail' : 'pass') as CheckStatus,
  };
  if (errorsFail)
    reasons.push(`${candidate.errors} failed call(s) in the candidate vs ${baseline.errors} in the baseline`);

  for (const ch of checks) if (ch.status === 'fail') reasons.push(`${ch.metric}: ${ch.reasons.join('; ')}`);

  const regressions: CaseChange[] = [];
  let improvements = 0;
  b.forEach((r, i) => {
    const o = c[i]!;
    if (r.pass && !o.pass) regressions.push(change(r, 1, 0));
    if (!r.pass && o.pass) improvements += 1;
  });

  return {
    pass: reasons.length === 0,
    holdout,
    method: pairing.paired ? 'paired-bootstrap' : 'unpaired-normal',
    pairedCases: b.length,
    baselineCases: baseline.cases,
    candidateCases: candidate.cases,
    confidence: opts.confidence,
    resamples: opts.resamples,
    checks,
    comparisons,
    ...(latency ? { latency } : {}),
    errors,
    reasons,
    regressions,
    improvements,
    worst,
  };
}

function change(r: CaseResult, baseline: number, candidate: number): CaseChange {
  return { id: r.id, kind: r.kind, dataset: r.dataset, query: r.query, baseline, candidate };
}

/** Paired cases whose value of `metric` fell, largest fall first. */
export function caseChanges(metric: RateMetric, b: CaseResult[], c: CaseResult[]): CaseChange[] {
  // Precision/recall have no per-case value: the refusal verdict stands in.
  const key = metric === 'refusalPrecision' || metric === 'refusalRecall' ? 'refusalAccuracy' : metric;
  const out: CaseChange[] = [];
  b.forEach((r, i) => {
    const bv = r.scores[key];
    const cv = c[i]!.scores[key];
    if (bv !== undefined && cv !== undefined && cv < bv) out.push(change(r, bv, cv));
  });
  return out.sort((x, y) => y.baseline - y.candidate - (x.baseline - x.candidate));
}

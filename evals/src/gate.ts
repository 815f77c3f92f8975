import { readFile } from 'node:fs/promises';
import { describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { type Comparison, compareSummaries, pairSummaries } from './compare.ts';
import { EvalsError } from './errors.ts';
import { isRateMetric, metricParts, RATE_METRICS, type RateMetric } from './metrics/aggregate.ts';
import { configPower, type MetricPower, type PowerRecord, unresolved } from './power.ts';
import { DEFAULT_BOOTSTRAP } from './stats/bootstrap.ts';
import { GATE_MODES, type GateMode, type PowerSettings } from './stats/power.ts';
import type { CaseResult, Summary } from './summary.ts';

const metricRule = z
  .object({
    /** Absolute minimum for the candidate. */
    floor: z.number().min(0).max(1).optional(),
    /**
     * The margin: the largest allowed drop. Non-inferiority passes only when the CI's lower bound of
     * Δ is above −maxDrop; superiority fails only when its upper bound is below −maxDrop.
     */
    maxDrop: z.number().min(0).max(1).optional(),
  })
  .strict();

export const gateConfigSchema = z
  .object({
    /** How drops are judged (stats/power.ts); `--mode` overrides. Absent: superiority, as before. */
    mode: z.enum(GATE_MODES).default('superiority'),
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
    /** The power check: margins the measured data cannot resolve are refused. */
    power: z
      .object({
        /** The power record, relative to the gate config's directory. */
        record: z.string().min(1).default('baselines/power.json'),
        /** The highest tolerated chance of failing a neutral change. */
        maxFalseFailure: z.number().gt(0).lt(0.5).default(0.05),
        /** The power the minimum detectable drop is quoted at. */
        detectPower: z.number().gt(0.5).lt(1).default(0.8),
      })
      .strict()
      .optional(),
    latency: z
      .object({
        /**
         * Candidate latencyP95Ms may be at most reference × maxP95Ratio (+ graceMs for tiny
         * references), where the reference is measured in the same run on the same machine
         * (`--reference`); without one, latency is reported, never gated.
         */
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
    throw new EvalsError(
      'gate_config',
      `invalid gate config ${shown}: ${describeZodIssues(parsed.error, { max: 1 })}`,
    );
  }
  return parsed.data;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface MetricCheck extends Comparison {
  floor?: number | undefined;
  maxDrop?: number | undefined;
  /** How the drop was judged: the gate's mode, or superiority where unpaired runs allow no other. */
  rule: GateMode;
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
  /** The mode that ran (per check, `rule` says how each was judged). */
  mode: GateMode;
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
  /**
   * p95 latency. Gated (`gated: true`) only against a reference measured alongside the candidate
   * (`baseline` then holds the reference's figure); otherwise the baseline's figure is shown for
   * information and the status is `skip`.
   */
  latency?: {
    baseline: number;
    candidate: number;
    ratio: number;
    maxRatio: number;
    graceMs: number;
    status: CheckStatus;
    gated: boolean;
    /** The reference's label, or null (no reference: not gated). */
    reference: string | null;
    note: string;
  };
  /** Power of this comparison per gated metric (from the power record), when one was given. */
  power?: { metrics: MetricPower[]; underpowered: string[] };
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
 * The merge gate. Floors apply to the candidate's figures. A drop is judged on the confidence
 * interval of Δ = candidate − baseline: in non-inferiority mode a metric passes only when the
 * interval's lower bound is above −maxDrop (the change shows it is not worse); in superiority mode it
 * fails only when the upper bound is below −maxDrop (the gate shows it is worse). With per-case
 * results on both sides the interval comes from a paired bootstrap over case ids; sealed (holdout)
 * summaries carry no cases, so their stored standard errors give a normal interval and only
 * superiority can be judged. Latency is gated only against a reference measured alongside.
 */
export interface GateOptions {
  /** Overrides the config's mode. */
  mode?: GateMode | undefined;
  /** A run measured alongside the candidate on the same machine: latency is gated against it. */
  reference?: { summary: Summary; label: string } | undefined;
  /** The power record: the result then carries this comparison's power per gated metric. */
  power?: PowerRecord | undefined;
}

export function evaluateGate(
  baseline: Summary,
  candidate: Summary,
  config: GateConfig,
  options: GateOptions = {},
): GateResult {
  const mode = options.mode ?? config.mode;
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
    // Non-inferiority needs a paired interval; sealed runs only allow proving a drop.
    const judged: GateMode = mode === 'non-inferiority' && pairing.paired ? mode : 'superiority';
    const check: MetricCheck = {
      ...cmp,
      floor: rule.floor,
      maxDrop: rule.maxDrop,
      rule: judged,
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
    if (rule.maxDrop !== undefined && check.hi !== undefined && check.lo !== undefined) {
      const ci = `CI of Δ [${fmt(check.lo)}, ${fmt(check.hi)}]`;
      if (judged === 'superiority' && check.hi < -rule.maxDrop) {
        check.reasons.push(`dropped ${fmt(-check.delta!)} (${ci} entirely below -${rule.maxDrop})`);
      } else if (judged === 'non-inferiority' && !(check.lo > -rule.maxDrop)) {
        const what = check.delta! < 0 ? `dropped ${fmt(-check.delta!)}` : `Δ ${fmt(check.delta!)}`;
        check.reasons.push(
          `${what}, not shown to be within -${rule.maxDrop} (${ci} reaches below -${rule.maxDrop})`,
        );
      }
    }
    if (pairing.paired && check.delta !== undefined && check.delta < 0) {
      const changes = caseChanges(metric, b, c).slice(0, 5);
      if (changes.length) worst.push({ metric, cases: changes });
    }
    if (check.reasons.length) check.status = 'fail';
    checks.push(check);
  }

  const latency = latencyCheck(baseline, candidate, config, options.reference);
  if (latency?.status === 'fail') {
    reasons.push(
      `latencyP95Ms ${latency.candidate} ms is ×${latency.ratio.toFixed(2)} the reference's ${latency.baseline} ms measured alongside (${latency.reference}; max ×${latency.maxRatio}${latency.graceMs ? ` + ${latency.graceMs} ms` : ''})`,
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
  // A regression case guards a fixed bug: losing one fails the gate, whatever the margins allow.
  const lostGuards = regressions.filter((r) => r.kind === 'regression');
  if (lostGuards.length) {
    reasons.push(
      `${lostGuards.length} regression case(s) passed on the baseline and fail now: ${lostGuards.map((r) => r.id).join(', ')}`,
    );
  }

  let power: GateResult['power'];
  if (options.power && config.power && pairing.paired) {
    const settings = powerSettings(config, mode);
    const margins = Object.fromEntries(Object.entries(config.metrics).map(([m, r]) => [m, r.maxDrop]));
    const n = (m: RateMetric) => b.filter((r) => metricParts(m, r)[1] > 0).length;
    const metrics = configPower(margins, options.power.metrics, settings, n);
    power = { metrics, underpowered: unresolved(metrics) };
  }

  return {
    pass: reasons.length === 0,
    holdout,
    mode,
    method: pairing.paired ? 'paired-bootstrap' : 'unpaired-normal',
    pairedCases: b.length,
    baselineCases: baseline.cases,
    candidateCases: candidate.cases,
    confidence: opts.confidence,
    resamples: opts.resamples,
    checks,
    comparisons,
    ...(latency ? { latency } : {}),
    ...(power ? { power } : {}),
    errors,
    reasons,
    regressions,
    improvements,
    worst,
  };
}

function latencyCheck(
  baseline: Summary,
  candidate: Summary,
  config: GateConfig,
  reference: GateOptions['reference'],
): GateResult['latency'] {
  const cl = candidate.metrics.latencyP95Ms;
  if (!config.latency || cl === undefined) return undefined;
  const { maxP95Ratio, graceMs } = config.latency;
  const rl = reference?.summary.metrics.latencyP95Ms;
  if (reference && rl !== undefined) {
    const ok = cl <= rl * maxP95Ratio + graceMs;
    return {
      baseline: rl,
      candidate: cl,
      ratio: rl > 0 ? cl / rl : 1,
      maxRatio: maxP95Ratio,
      graceMs,
      status: ok ? 'pass' : 'fail',
      gated: true,
      reference: reference.label,
      note: `against ${reference.label}, measured alongside`,
    };
  }
  const bl = baseline.metrics.latencyP95Ms;
  if (bl === undefined) return undefined;
  return {
    baseline: bl,
    candidate: cl,
    ratio: bl > 0 ? cl / bl : 1,
    maxRatio: maxP95Ratio,
    graceMs,
    status: 'skip',
    gated: false,
    reference: null,
    note: reference
      ? `not gated: the reference ${reference.label} has no latency`
      : 'not gated: no reference measured alongside (--reference); a baseline from another run or machine is not comparable',
  };
}

export function powerSettings(config: GateConfig, mode: GateMode = config.mode): PowerSettings {
  return {
    mode,
    confidence: config.bootstrap.confidence,
    detectPower: config.power?.detectPower ?? 0.8,
    maxFalseFailure: config.power?.maxFalseFailure ?? 0.05,
  };
}

/**
 * Refuses a config whose margins the measured data cannot resolve (EvalsError 'gate_config', naming
 * each metric and the cases it would need). Uses the record's own case counts: the data it measured.
 */
export function assertResolvable(
  config: GateConfig,
  record: PowerRecord,
  mode: GateMode = config.mode,
): void {
  const margins = Object.fromEntries(Object.entries(config.metrics).map(([m, r]) => [m, r.maxDrop]));
  const bad = unresolved(configPower(margins, record.metrics, powerSettings(config, mode)));
  if (bad.length) {
    throw new EvalsError(
      'gate_config',
      `the gate config asks for margins its data cannot resolve:\n  ${bad.join('\n  ')}`,
    );
  }
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

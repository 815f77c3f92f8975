import { partsOf, RATE_METRICS, type RateMetric } from './metrics/aggregate.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP, pairedBootstrapDiff } from './stats/bootstrap.ts';
import type { CaseResult, Summary } from './summary.ts';

export interface Comparison {
  metric: RateMetric;
  baseline?: number | undefined;
  candidate?: number | undefined;
  /** candidate − baseline (over the paired cases when paired). */
  delta?: number | undefined;
  lo?: number | undefined;
  hi?: number | undefined;
}

export interface Pairing {
  paired: boolean;
  /** Aligned: b[i] and c[i] are the same case id. */
  b: CaseResult[];
  c: CaseResult[];
  /** Baseline ids the candidate lacks. */
  missing: string[];
}

/** Matches cases by id; sealed summaries (or ones without results) cannot be paired. */
export function pairSummaries(baseline: Summary, candidate: Summary): Pairing {
  if (baseline.holdout || candidate.holdout || !baseline.results || !candidate.results) {
    return { paired: false, b: [], c: [], missing: [] };
  }
  const byId = new Map(candidate.results.map((r) => [r.id, r]));
  const b: CaseResult[] = [];
  const c: CaseResult[] = [];
  const missing: string[] = [];
  for (const r of baseline.results) {
    const other = byId.get(r.id);
    if (other) {
      b.push(r);
      c.push(other);
    } else missing.push(r.id);
  }
  return { paired: b.length > 0, b, c, missing };
}

const Z: Record<string, number> = {
  '0.8': 1.2816,
  '0.9': 1.6449,
  '0.95': 1.96,
  '0.98': 2.3263,
  '0.99': 2.5758,
};

/**
 * Every rate metric either run reports, with Δ and its interval: paired bootstrap over matched
 * cases when both runs carry results, else a normal interval from the stored standard errors.
 */
export function compareSummaries(
  baseline: Summary,
  candidate: Summary,
  opts: BootstrapOptions = DEFAULT_BOOTSTRAP,
  pairing: Pairing = pairSummaries(baseline, candidate),
): Comparison[] {
  const z = Z[String(opts.confidence)] ?? 1.96;
  const out: Comparison[] = [];
  for (const metric of RATE_METRICS) {
    const bv = baseline.metrics[metric];
    const cv = candidate.metrics[metric];
    if (bv === undefined && cv === undefined) continue;
    const cmp: Comparison = { metric, baseline: bv, candidate: cv };
    if (bv !== undefined && cv !== undefined) {
      const iv = pairing.paired
        ? pairedBootstrapDiff(partsOf(metric, pairing.b), partsOf(metric, pairing.c), opts)
        : undefined;
      if (iv) Object.assign(cmp, { delta: iv.estimate, lo: iv.lo, hi: iv.hi });
      else {
        const se = Math.hypot(baseline.ci[metric]?.se ?? 0, candidate.ci[metric]?.se ?? 0);
        const delta = cv - bv;
        Object.assign(cmp, { delta, lo: delta - z * se, hi: delta + z * se });
      }
    }
    out.push(cmp);
  }
  return out;
}

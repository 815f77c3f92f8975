import { percentileOfSorted, seededRandom } from '@dark-factory/kit';

/**
 * A metric's per-case contribution as numerator/denominator: a mean metric is (value, 1) where it
 * applies and (0, 0) where not; a ratio such as refusal precision uses other pairs. The aggregate
 * is Σnum / Σden, undefined when Σden is 0.
 */
export interface Parts {
  num: Float64Array;
  den: Float64Array;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** e.g. 0.95 */
  confidence: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 2000, seed: 20240601, confidence: 0.95 };

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** Bootstrap standard error. */
  se: number;
  /** Resamples where the metric was defined. */
  n: number;
}

export function ratio(
  p: Parts,
  idx?: Uint32Array,
  from = 0,
  to = idx?.length ?? p.num.length,
): number | undefined {
  let num = 0;
  let den = 0;
  if (idx) {
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      num += p.num[i]!;
      den += p.den[i]!;
    }
  } else {
    for (let i = from; i < to; i++) {
      num += p.num[i]!;
      den += p.den[i]!;
    }
  }
  return den > 0 ? num / den : undefined;
}

function interval(estimate: number, draws: number[], confidence: number): Interval {
  if (!draws.length) return { estimate, lo: estimate, hi: estimate, se: 0, n: 0 };
  draws.sort((a, b) => a - b);
  const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
  const se = Math.sqrt(draws.reduce((s, d) => s + (d - mean) ** 2, 0) / Math.max(1, draws.length - 1));
  const tail = (1 - confidence) / 2;
  return {
    estimate,
    lo: percentileOfSorted(draws, tail),
    hi: percentileOfSorted(draws, 1 - tail),
    se,
    n: draws.length,
  };
}

let cached: { key: string; idx: Uint32Array } | undefined;

/** All resamples' case indices, row after row (n per row); reused across metrics of a run. */
function resampleIndices(n: number, opts: BootstrapOptions): Uint32Array {
  const key = `${n}:${opts.seed}:${opts.resamples}`;
  if (cached?.key === key) return cached.idx;
  // Seeded: same seed, same resamples, same gate verdict.
  const rand = seededRandom(opts.seed);
  const idx = new Uint32Array(n * opts.resamples);
  for (let k = 0; k < idx.length; k++) idx[k] = Math.floor(rand() * n);
  cached = { key, idx };
  return idx;
}

/** Percentile bootstrap interval of one run's metric over its cases. */
export function bootstrapMetric(p: Parts, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): Interval | undefined {
  const estimate = ratio(p);
  if (estimate === undefined) return undefined;
  const n = p.num.length;
  const idx = resampleIndices(n, opts);
  const draws: number[] = [];
  for (let r = 0; r < opts.resamples; r++) {
    const v = ratio(p, idx, r * n, (r + 1) * n);
    if (v !== undefined) draws.push(v);
  }
  return interval(estimate, draws, opts.confidence);
}

/**
 * Paired bootstrap of (candidate − baseline): `base` and `cand` are aligned case by case (same ids
 * in the same order); each resample draws case indices once and scores both runs on them.
 */
export function pairedBootstrapDiff(
  base: Parts,
  cand: Parts,
  opts: BootstrapOptions = DEFAULT_BOOTSTRAP,
): Interval | undefined {
  if (base.num.length !== cand.num.length) throw new Error('paired bootstrap needs aligned cases');
  const b = ratio(base);
  const c = ratio(cand);
  if (b === undefined || c === undefined) return undefined;
  const n = base.num.length;
  const idx = resampleIndices(n, opts);
  const draws: number[] = [];
  for (let r = 0; r < opts.resamples; r++) {
    const rb = ratio(base, idx, r * n, (r + 1) * n);
    const rc = ratio(cand, idx, r * n, (r + 1) * n);
    if (rb !== undefined && rc !== undefined) draws.push(rc - rb);
  }
  return interval(c - b, draws, opts.confidence);
}

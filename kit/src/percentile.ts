/**
 * Percentiles by linear interpolation between the two nearest ranks (numpy's and R's default,
 * "type 7"): q = 0.5 of [1, 2, 3, 4] is 2.5. The evals gate's figures and bootstrap intervals are
 * computed with it, so its arithmetic must not change.
 */

/** The q-quantile (q in [0, 1]) of an ascending array; NaN when it is empty. */
export function percentileOfSorted(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be in [0, 1], got ${q}`);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The q-quantile (q in [0, 1]) of values in any order (sorts a copy); NaN when there are none. */
export function percentile(values: readonly number[], q: number): number {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

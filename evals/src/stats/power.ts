/**
 * Power of the gate, in the normal approximation of the paired difference Δ̂ ~ N(Δ, se²) with
 * se = sd/√n, where sd is the per-case standard deviation of (candidate − baseline) that real changes
 * show (measured from real runs: src/power.ts). Pure.
 */

export const GATE_MODES = ['non-inferiority', 'superiority'] as const;
/**
 * - `non-inferiority`: a metric passes only when the CI's lower bound of Δ is above −margin — the
 *   change must show it is not worse (the default for unattended changes).
 * - `superiority`: a metric fails only when the CI's upper bound of Δ is below −margin — the gate
 *   must show the baseline is better (for changes a person reviews).
 */
export type GateMode = (typeof GATE_MODES)[number];

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile of ${p}: p must be in (0, 1)`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export interface PowerSettings {
  mode: GateMode;
  /** Of the gate's interval, e.g. 0.95. */
  confidence: number;
  /** The power the minimum detectable drop is quoted at, e.g. 0.8. */
  detectPower: number;
  /** The highest tolerated chance of failing a neutral change, e.g. 0.05. */
  maxFalseFailure: number;
}

export interface PowerFigures {
  /** Cases the metric applies to. */
  n: number;
  /** Per-case SD of Δ used: the measured one, at least one case moving by the full range (1/√n). */
  sd: number;
  /** Standard error of Δ̂. */
  se: number;
  margin?: number | undefined;
  /** Smallest drop the gate fails with probability ≥ detectPower (0: even no change fails that often). */
  mde?: number | undefined;
  /** Chance that a neutral change (Δ = 0, the same churn) fails. */
  falseFailure?: number | undefined;
  /** The smallest margin these cases resolve: (z + z₍₁₋maxFalseFailure₎) · se. */
  resolvableMargin: number;
  /** Cases needed to resolve the margin. */
  casesNeeded?: number | undefined;
  resolved: boolean;
}

/** The CI's one-sided quantile (1.96 for a 95 % interval). */
export const ciZ = (confidence: number) => normalQuantile(1 - (1 - confidence) / 2);

/** Chance that the gate fails a metric whose true Δ is `delta`. */
export function failureChance(delta: number, se: number, margin: number, s: PowerSettings): number {
  const z = ciZ(s.confidence);
  if (se <= 0) return s.mode === 'non-inferiority' ? (delta <= -margin ? 1 : 0) : delta < -margin ? 1 : 0;
  return s.mode === 'non-inferiority'
    ? normalCdf((-margin - delta) / se + z)
    : normalCdf((-margin - delta) / se - z);
}

/**
 * The figures for one metric. The margin is *resolved* when a neutral change with the measured churn
 * fails at most `maxFalseFailure` of the time while one worse by the margin fails at least
 * 1 − (1 − confidence)/2 of the time in non-inferiority; the same width is asked of superiority mode.
 */
export function powerFigures(
  input: { n: number; sd: number; margin?: number | undefined },
  s: PowerSettings,
): PowerFigures {
  const n = Math.max(1, input.n);
  const sd = Math.max(input.sd, 1 / Math.sqrt(n));
  const se = sd / Math.sqrt(n);
  const z = ciZ(s.confidence);
  const width = z + normalQuantile(1 - s.maxFalseFailure);
  const out: PowerFigures = { n: input.n, sd, se, resolvableMargin: width * se, resolved: true };
  const m = input.margin;
  if (m === undefined) return out;
  const zp = normalQuantile(s.detectPower);
  out.margin = m;
  out.mde = Math.max(0, s.mode === 'non-inferiority' ? m + se * (zp - z) : m + se * (z + zp));
  out.falseFailure = failureChance(0, se, m, s);
  out.casesNeeded = m > 0 ? Math.ceil(((width * sd) / m) ** 2) : Number.POSITIVE_INFINITY;
  out.resolved = m >= out.resolvableMargin;
  return out;
}

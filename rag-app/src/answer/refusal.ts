/**
 * Measuring the refusal threshold: the accuracy of the answer/refuse decision at each candidate
 * threshold, the best one, and leave-one-out figures for small labelled sets. Pure functions: the
 * strengths come from `judgeEvidence` (decide.ts) run by scripts/tune-refusal.ts.
 */
export { REFUSAL_ANSWER } from './decide.ts';
/** Answer only when the support strength reaches this (support.ts, DEFAULT_SUPPORT.threshold). */
export { DEFAULT_SUPPORT, REFUSAL_THRESHOLD } from './support.ts';

export function shouldRefuse(strength: number, threshold: number): boolean {
  return !(strength >= threshold);
}

export interface LabelledStrength {
  /** True when the question should be answered. */
  answerable: boolean;
  strength: number;
}

export interface ThresholdResult {
  threshold: number;
  accuracy: number;
  /** Answerable questions answered / all answerable. */
  answeredRate: number;
  /** Refusal questions refused / all refusal questions. */
  refusedRate: number;
}

/** Accuracy of the refusal decision at each candidate threshold. */
export function thresholdSweep(
  cases: readonly LabelledStrength[],
  candidates: readonly number[],
): ThresholdResult[] {
  const answerable = cases.filter((c) => c.answerable);
  const refusal = cases.filter((c) => !c.answerable);
  const rate = (n: number, d: number) => (d === 0 ? 1 : n / d);
  return candidates.map((threshold) => {
    const answered = answerable.filter((c) => !shouldRefuse(c.strength, threshold)).length;
    const refused = refusal.filter((c) => shouldRefuse(c.strength, threshold)).length;
    return {
      threshold,
      accuracy: rate(answered + refused, cases.length),
      answeredRate: rate(answered, answerable.length),
      refusedRate: rate(refused, refusal.length),
    };
  });
}

/**
 * The best threshold of a sweep: highest balanced accuracy (the mean of the answered and refused
 * rates, so the 3-to-1 answerable majority does not decide alone), ties broken towards the middle
 * of the tied run (the widest margin on both sides) rather than its edge.
 */
export function bestThreshold(results: readonly ThresholdResult[]): ThresholdResult | null {
  if (results.length === 0) return null;
  const value = (r: ThresholdResult) => Math.round(((r.answeredRate + r.refusedRate) / 2) * 1e9);
  const top = Math.max(...results.map(value));
  let best: ThresholdResult[] = [];
  let run: ThresholdResult[] = [];
  for (const r of results) {
    if (value(r) === top) run.push(r);
    else run = [];
    if (run.length > best.length) best = [...run];
  }
  return best[Math.floor((best.length - 1) / 2)]!;
}

export interface LeaveOneOut {
  /** Cases whose decision, at the threshold tuned without them, was right. */
  correct: number;
  answeredRate: number;
  refusedRate: number;
  /** The threshold each held-out case was judged with. */
  thresholds: number[];
}

/** Each case judged at the threshold tuned on all the others: an honest figure for a small set. */
export function leaveOneOut(cases: readonly LabelledStrength[], candidates: readonly number[]): LeaveOneOut {
  let correct = 0;
  let answered = 0;
  let refused = 0;
  const thresholds: number[] = [];
  cases.forEach((c, i) => {
    const others = cases.filter((_, j) => j !== i);
    const t = bestThreshold(thresholdSweep(others, candidates))?.threshold ?? 0;
    thresholds.push(t);
    const ok = shouldRefuse(c.strength, t) !== c.answerable;
    if (ok) correct++;
    if (ok && c.answerable) answered++;
    if (ok && !c.answerable) refused++;
  });
  const nA = cases.filter((c) => c.answerable).length;
  const nR = cases.length - nA;
  return {
    correct,
    answeredRate: nA ? answered / nA : 1,
    refusedRate: nR ? refused / nR : 1,
    thresholds,
  };
}

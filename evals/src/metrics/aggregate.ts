import { percentile } from '@dark-factory/kit';
import type { Parts } from '../stats/bootstrap.ts';
import type { CaseResult, Histogram, Metrics } from '../summary.ts';
import { clauseParts } from './clause.ts';
import { usdFor } from './cost.ts';

/** Rate metrics in report order. Each is Σnum/Σden over the cases it applies to. */
export const RATE_METRICS = [
  'hitAt1Moment',
  'hitAt5Moment',
  'hitAt10Moment',
  'hitAt1Video',
  'hitAt5Video',
  'hitAt10Video',
  'mrrMoment',
  'mrrVideo',
  'recallAt10Video',
  'ndcgAt10',
  'linkAt1',
  'linkProximityAt1',
  'refusalAccuracy',
  'refusalPrecision',
  'refusalRecall',
  'citationMomentAccuracy',
  'citationSupport',
  'factRecall',
  'clauseIntegrity',
  'faithfulness',
] as const;
export type RateMetric = (typeof RATE_METRICS)[number];

export const LATENCY_METRICS = [
  'latencyP50Ms',
  'latencyP95Ms',
  'retrieveP50Ms',
  'retrieveP95Ms',
  'answerP50Ms',
  'answerP95Ms',
] as const;

export const COST_METRICS = [
  'inputTokens',
  'outputTokens',
  'usd',
  'judgeInputTokens',
  'judgeOutputTokens',
  'judgeUsd',
] as const;

export function isRateMetric(name: string): name is RateMetric {
  return (RATE_METRICS as readonly string[]).includes(name);
}

/** One case's (numerator, denominator) for a rate metric; (0, 0) when it does not apply. */
export function metricParts(name: RateMetric, r: CaseResult): [number, number] {
  if (name === 'refusalPrecision') {
    return r.expectRefusal !== undefined && r.refused ? [r.expectRefusal ? 1 : 0, 1] : [0, 0];
  }
  if (name === 'clauseIntegrity') return clauseParts(r);
  if (name === 'refusalRecall') {
    return r.expectRefusal === true ? [r.refused ? 1 : 0, 1] : [0, 0];
  }
  const v = r.scores[name];
  return v === undefined ? [0, 0] : [v, 1];
}

export function partsOf(name: RateMetric, results: CaseResult[]): Parts {
  const num = new Float64Array(results.length);
  const den = new Float64Array(results.length);
  results.forEach((r, i) => {
    const [n, d] = metricParts(name, r);
    num[i] = n;
    den[i] = d;
  });
  return { num, den };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The metrics of a set of case results. Only metrics that apply to at least one case appear:
 * never NaN, never a 0 standing in for "not applicable".
 */
export function aggregate(results: CaseResult[]): Metrics {
  const m: Metrics = {};
  for (const name of RATE_METRICS) {
    let num = 0;
    let den = 0;
    for (const r of results) {
      const [n, d] = metricParts(name, r);
      num += n;
      den += d;
    }
    if (den > 0) m[name] = round(num / den, 6);
  }
  const stage = (values: (number | undefined)[], p50: string, p95: string) => {
    const vs = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (!vs.length) return;
    m[p50] = round(percentile(vs, 0.5), 1);
    m[p95] = round(percentile(vs, 0.95), 1);
  };
  stage(
    results.map((r) => r.latencyMs),
    'latencyP50Ms',
    'latencyP95Ms',
  );
  stage(
    results.map((r) => r.retrieveMs),
    'retrieveP50Ms',
    'retrieveP95Ms',
  );
  stage(
    results.map((r) => r.answerMs),
    'answerP50Ms',
    'answerP95Ms',
  );
  const withUsage = results.filter((r) => r.usage);
  if (withUsage.length) {
    m.inputTokens = withUsage.reduce((s, r) => s + r.usage!.inputTokens, 0);
    m.outputTokens = withUsage.reduce((s, r) => s + r.usage!.outputTokens, 0);
    const usd = withUsage.map((r) => usdFor(r.usage!.model, r.usage!.inputTokens, r.usage!.outputTokens));
    if (usd.every((u) => u !== undefined))
      m.usd = round(
        usd.reduce((s, u) => s + u!, 0),
        6,
      );
  }
  const judged = results.filter((r) => r.judge);
  if (judged.length) {
    m.judgeInputTokens = judged.reduce((s, r) => s + r.judge!.inputTokens, 0);
    m.judgeOutputTokens = judged.reduce((s, r) => s + r.judge!.outputTokens, 0);
    const usd = judged.map((r) => usdFor(r.judge!.model, r.judge!.inputTokens, r.judge!.outputTokens));
    if (usd.every((u) => u !== undefined))
      m.judgeUsd = round(
        usd.reduce((s, u) => s + u!, 0),
        6,
      );
  }
  return m;
}

/** Latency histogram over log-spaced bins, kept as aggregate data (safe for sealed reports). */
export function latencyHistogram(results: CaseResult[], bins = 12): Histogram {
  const vs = results.map((r) => r.latencyMs).filter((v) => Number.isFinite(v) && v >= 0);
  if (!vs.length) return { edgesMs: [], counts: [] };
  const min = Math.max(0.1, Math.min(...vs));
  const max = Math.max(min * 1.01, ...vs);
  const ratio = (max / min) ** (1 / bins);
  const edges = Array.from({ length: bins + 1 }, (_, i) => round(min * ratio ** i, 2));
  edges[0] = 0;
  edges[bins] = Math.max(edges[bins]!, round(max, 2) + 0.01);
  const counts = Array<number>(bins).fill(0);
  for (const v of vs) {
    let b = edges.findIndex((e, i) => i > 0 && v < e) - 1;
    if (b < 0) b = bins - 1;
    counts[b]! += 1;
  }
  return { edgesMs: edges, counts };
}

import { type Comparison, compareSummaries } from '../compare.ts';
import type { GateResult } from '../gate.ts';
import { COST_METRICS, LATENCY_METRICS, RATE_METRICS } from '../metrics/aggregate.ts';
import type { Summary } from '../summary.ts';

export interface ReportInput {
  candidate: Summary;
  baseline?: Summary | undefined;
  gate?: GateResult | undefined;
  /** Names shown for the two runs (e.g. file paths). */
  labels?: { baseline?: string; candidate?: string };
}

/** Metrics shown per kind, in this order (those present). */
export const KIND_COLUMNS = [
  'hitAt1Moment',
  'hitAt5Moment',
  'hitAt5Video',
  'mrrMoment',
  'linkAt1',
  'recallAt10Video',
  'ndcgAt10',
  'refusalAccuracy',
  'citationMomentAccuracy',
  'citationSupport',
  'factRecall',
  'latencyP95Ms',
] as const;

export interface Row {
  metric: string;
  group: 'rate' | 'latency' | 'cost';
  baseline?: number | undefined;
  candidate?: number | undefined;
  delta?: number | undefined;
  lo?: number | undefined;
  hi?: number | undefined;
  /** Interval of the candidate's own value, when no baseline. */
  ci?: { lo: number; hi: number } | undefined;
  status?: 'pass' | 'fail' | 'skip' | undefined;
}

/** The rows both report formats show. */
export function reportRows(input: ReportInput): Row[] {
  const { candidate, baseline, gate } = input;
  const comparisons: Comparison[] =
    gate?.comparisons ?? (baseline ? compareSummaries(baseline, candidate) : []);
  const rows: Row[] = [];
  for (const metric of RATE_METRICS) {
    const cmp = comparisons.find((c) => c.metric === metric);
    const cv = candidate.metrics[metric];
    const bv = baseline?.metrics[metric];
    if (cv === undefined && bv === undefined) continue;
    const check = gate?.checks.find((c) => c.metric === metric);
    rows.push({
      metric,
      group: 'rate',
      baseline: bv,
      candidate: cv,
      delta: cmp?.delta,
      lo: cmp?.lo,
      hi: cmp?.hi,
      ci: candidate.ci[metric] ? { lo: candidate.ci[metric].lo, hi: candidate.ci[metric].hi } : undefined,
      status: check?.status,
    });
  }
  for (const metric of [...LATENCY_METRICS, ...COST_METRICS]) {
    const cv = candidate.metrics[metric];
    const bv = baseline?.metrics[metric];
    if (cv === undefined && bv === undefined) continue;
    rows.push({
      metric,
      group: LATENCY_METRICS.includes(metric as (typeof LATENCY_METRICS)[number]) ? 'latency' : 'cost',
      baseline: bv,
      candidate: cv,
      delta: cv !== undefined && bv !== undefined ? cv - bv : undefined,
      status: metric === 'latencyP95Ms' ? gate?.latency?.status : undefined,
    });
  }
  return rows;
}

export function formatValue(metric: string, v: number | undefined): string {
  if (v === undefined) return '–';
  if (metric.endsWith('Ms')) return `${v.toFixed(1)} ms`;
  if (metric.toLowerCase().endsWith('usd')) return `$${v.toFixed(4)}`;
  if (metric.endsWith('Tokens')) return String(Math.round(v));
  return v.toFixed(3);
}

export function formatDelta(metric: string, v: number | undefined): string {
  if (v === undefined) return '–';
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  const abs = Math.abs(v);
  if (metric.endsWith('Ms')) return `${sign}${abs.toFixed(1)} ms`;
  if (metric.toLowerCase().endsWith('usd')) return `${sign}$${abs.toFixed(4)}`;
  if (metric.endsWith('Tokens')) return `${sign}${Math.round(abs)}`;
  return `${sign}${abs.toFixed(3)}`;
}

export function isSealed(input: ReportInput): boolean {
  return input.candidate.holdout || !!input.baseline?.holdout;
}

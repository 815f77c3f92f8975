import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { pairSummaries } from './compare.ts';
import { EvalsError } from './errors.ts';
import { isRateMetric, metricParts, type RateMetric } from './metrics/aggregate.ts';
import { type PowerFigures, type PowerSettings, powerFigures } from './stats/power.ts';
import type { CaseResult, Summary } from './summary.ts';

/**
 * The power record (`evals/baselines/power.json`, written by `pnpm evals power --write`): per gated
 * metric, how much real changes of rag-app move it case by case — the per-case SD of
 * (variant − baseline), measured from real runs of real variants (the slight mutants and the neutral
 * controls of src/variants.ts) on the dev sets. The gate reads it to refuse margins the data cannot
 * resolve; `evals power` turns it into detectable drops and false-failure rates.
 */

/** A metric's paired spread over some cases. */
export interface PairedStats {
  /** Cases both runs have the metric for. */
  n: number;
  /** Mean of (candidate − baseline) per case. */
  delta: number;
  /** SD of the per-case difference around its mean (0 when nothing moved). */
  sd: number;
  /** Share of those cases whose value changed. */
  churn: number;
}

/** Per-case paired differences of one metric (precision/recall use their per-case parts). */
export function pairedStats(metric: RateMetric, b: CaseResult[], c: CaseResult[]): PairedStats | undefined {
  const d: number[] = [];
  b.forEach((r, i) => {
    const [bn, bd] = metricParts(metric, r);
    const [cn, cd] = metricParts(metric, c[i]!);
    if (bd > 0 && cd > 0) d.push(cn / cd - bn / bd);
  });
  if (!d.length) return undefined;
  const mean = d.reduce((s, x) => s + x, 0) / d.length;
  const sd = d.length > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1)) : 0;
  return { n: d.length, delta: mean, sd, churn: d.filter((x) => x !== 0).length / d.length };
}

const spreadSchema = z.object({
  /** Cases the metric applies to in the measured data. */
  n: z.number().int().min(0),
  /** Root mean square, over the runs that moved the metric, of the per-case SD of Δ. */
  sd: z.number().min(0),
  /** Runs that moved the metric at all. */
  runs: z.number().int().min(0),
  /** The largest per-run SD (for reference). */
  maxSd: z.number().min(0),
});
export type Spread = z.infer<typeof spreadSchema>;

export const powerRecordSchema = z.object({
  version: z.literal(1),
  generatedAt: z.string(),
  /** The data measured: dataset file names and their case counts. */
  datasets: z.array(z.object({ name: z.string(), cases: z.number().int() })),
  /** The real runs the spread comes from, with their measured Δ per metric. */
  runs: z.array(
    z.object({
      name: z.string(),
      role: z.enum(['slight', 'neutral', 'candidate']),
      delta: z.record(z.string(), z.number()),
      churn: z.record(z.string(), z.number()),
    }),
  ),
  /** Per metric over all measured cases together (as the gate pools them). */
  metrics: z.record(z.string(), spreadSchema),
  /** Per dataset file name, per metric. */
  byDataset: z.record(z.string(), z.record(z.string(), spreadSchema)),
});
export type PowerRecord = z.infer<typeof powerRecordSchema>;

export interface PowerRun {
  name: string;
  role: 'slight' | 'neutral' | 'candidate';
  summary: Summary;
}

function spread(stats: (PairedStats | undefined)[], n: number): Spread {
  const moved = stats.filter((s): s is PairedStats => s !== undefined && s.churn > 0);
  const sd = moved.length ? Math.sqrt(moved.reduce((a, s) => a + s.sd ** 2, 0) / moved.length) : 0;
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  return { n, sd: r4(sd), runs: moved.length, maxSd: r4(Math.max(0, ...moved.map((s) => s.sd))) };
}

const baseName = (d: string) => path.basename(d);

/** The record from a baseline run and real runs of variants over the same cases. */
export function buildPowerRecord(
  baseline: Summary,
  runs: PowerRun[],
  metrics: readonly RateMetric[],
  generatedAt = new Date().toISOString(),
): PowerRecord {
  if (!baseline.results)
    throw new EvalsError('power', 'the power record needs per-case results (not a sealed run)');
  const pairings = runs.map((r) => {
    const p = pairSummaries(baseline, r.summary);
    if (!p.paired || p.missing.length) {
      throw new EvalsError(
        'power',
        `run ${r.name} does not cover the baseline's cases (${p.missing.length} missing)`,
      );
    }
    return p;
  });
  const datasets = [...new Set(baseline.results.map((r) => r.dataset))];
  const applicable = (m: RateMetric, rs: CaseResult[]) => rs.filter((r) => metricParts(m, r)[1] > 0).length;
  const record: PowerRecord = {
    version: 1,
    generatedAt,
    datasets: datasets.map((d) => ({
      name: baseName(d),
      cases: baseline.results!.filter((r) => r.dataset === d).length,
    })),
    runs: runs.map((r, i) => {
      const delta: Record<string, number> = {};
      const churn: Record<string, number> = {};
      for (const m of metrics) {
        const s = pairedStats(m, pairings[i]!.b, pairings[i]!.c);
        if (s) {
          delta[m] = Math.round(s.delta * 1e5) / 1e5;
          churn[m] = Math.round(s.churn * 1e4) / 1e4;
        }
      }
      return { name: r.name, role: r.role, delta, churn };
    }),
    metrics: {},
    byDataset: {},
  };
  for (const m of metrics) {
    const n = applicable(m, baseline.results);
    if (n)
      record.metrics[m] = spread(
        pairings.map((p) => pairedStats(m, p.b, p.c)),
        n,
      );
  }
  for (const d of datasets) {
    const per: Record<string, Spread> = {};
    for (const m of metrics) {
      const n = applicable(
        m,
        baseline.results.filter((r) => r.dataset === d),
      );
      if (!n) continue;
      per[m] = spread(
        pairings.map((p) => {
          const keep = p.b.map((r) => r.dataset === d);
          return pairedStats(
            m,
            p.b.filter((_, i) => keep[i]),
            p.c.filter((_, i) => keep[i]),
          );
        }),
        n,
      );
    }
    record.byDataset[baseName(d)] = per;
  }
  return record;
}

export async function readPowerRecord(file: string, shown = file): Promise<PowerRecord> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found (write it with `pnpm evals power --write`)'
        : (err as Error).message;
    throw new EvalsError('power', `cannot read power record ${shown}: ${why}`);
  }
  const parsed = powerRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new EvalsError(
      'power',
      `invalid power record ${shown}: ${describeZodIssues(parsed.error, { max: 1 })}`,
    );
  }
  return parsed.data;
}

export interface MetricPower extends PowerFigures {
  metric: RateMetric;
}

/** The figures of every metric with a margin, from the record's spread and its case counts (or `n`). */
export function configPower(
  margins: Record<string, number | undefined>,
  spreads: Record<string, Spread>,
  settings: PowerSettings,
  n?: (metric: RateMetric) => number,
): MetricPower[] {
  const out: MetricPower[] = [];
  for (const [name, margin] of Object.entries(margins)) {
    const s = spreads[name];
    if (!isRateMetric(name) || margin === undefined || !s) continue;
    out.push({ metric: name, ...powerFigures({ n: n?.(name) ?? s.n, sd: s.sd, margin }, settings) });
  }
  return out;
}

/** One line per unresolved margin: what the metric would need. */
export function unresolved(figures: MetricPower[]): string[] {
  return figures
    .filter((f) => !f.resolved)
    .map(
      (f) =>
        `${f.metric}: margin ${f.margin} cannot be resolved by its ${f.n} cases (per-case SD of Δ on real changes ${f.sd.toFixed(3)}; a neutral change would fail ${(100 * (f.falseFailure ?? 0)).toFixed(0)} % of the time): it needs ${f.casesNeeded} cases, or a margin of at least ${f.resolvableMargin.toFixed(3)}`,
    );
}

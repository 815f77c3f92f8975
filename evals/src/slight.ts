import { evaluateGate, type GateConfig, powerSettings } from './gate.ts';
import { isRateMetric, type RateMetric } from './metrics/aggregate.ts';
import { dropOnly } from './mutants.ts';
import { buildPowerRecord, configPower, type MetricPower, type PowerRecord } from './power.ts';
import type { GateMode } from './stats/power.ts';
import type { Summary } from './summary.ts';
import { churnedRun, datasetRun } from './synthetic.ts';
import type { VariantRun } from './variants.ts';

/**
 * The slight half of the mutation check: real variants of rag-app that cost a point or a few, the
 * neutral controls (same code, other seeds), the synthetic "−3 points with churn" case, and
 * the power figures — all judged by the gate's drop rules in the configured mode.
 */
export interface SlightOutcome {
  name: string;
  description: string;
  /** Measured Δ per gated metric (negative = a drop). */
  delta: Record<string, number>;
  /** The largest drop relative to its margin: the metric and the drop. */
  metric: string;
  drop: number;
  /** Metrics that dropped by at least their margin: the gate must fail these mutants. */
  atOrAboveMargin: string[];
  verdict: 'pass' | 'fail';
  failed: string[];
  /** At or above the margin and failed, or below it (either verdict is then acceptable). */
  ok: boolean;
}

export interface NeutralOutcome {
  runs: { name: string; verdict: 'pass' | 'fail'; failed: string[]; delta: Record<string, number> }[];
  passed: number;
  passRate: number;
  /** Required pass rate. */
  required: number;
  ok: boolean;
}

export interface SyntheticOutcome {
  name: string;
  mode: GateMode;
  metric: RateMetric;
  margin: number;
  cases: number;
  delta?: number | undefined;
  lo?: number | undefined;
  hi?: number | undefined;
  verdict: 'pass' | 'fail';
  /** Only set where a verdict is required. */
  expected?: 'pass' | 'fail';
}

export interface PowerTableRow extends MetricPower {
  dataset: string;
}

export interface SlightReport {
  ok: boolean;
  mode: GateMode;
  mutants: SlightOutcome[];
  neutral: NeutralOutcome;
  synthetic: SyntheticOutcome[];
  /** Synthetic neutral churn (Δ = 0) over many seeds: the gate's false-failure rate. */
  neutralChurn: { metric: RateMetric; churn: number; seeds: number; failureRate: number }[];
  power: PowerTableRow[];
  record: PowerRecord;
}

const margins = (config: GateConfig) =>
  Object.fromEntries(Object.entries(config.metrics).map(([m, r]) => [m, r.maxDrop]));

function deltas(gate: ReturnType<typeof evaluateGate>): Record<string, number> {
  return Object.fromEntries(
    gate.checks.filter((c) => c.delta !== undefined).map((c) => [c.metric, Math.round(c.delta! * 1e5) / 1e5]),
  );
}

/** Per dataset and over all cases: the figures for the config's margins from the record. */
export function powerTable(record: PowerRecord, config: GateConfig, mode: GateMode): PowerTableRow[] {
  const s = powerSettings(config, mode);
  const rows: PowerTableRow[] = configPower(margins(config), record.metrics, s).map((p) => ({
    dataset: 'all',
    ...p,
  }));
  for (const [dataset, spreads] of Object.entries(record.byDataset)) {
    for (const p of configPower(margins(config), spreads, s)) rows.push({ dataset, ...p });
  }
  return rows;
}

export interface SlightOptions {
  config: GateConfig;
  mode?: GateMode;
  /** Seeds of the synthetic neutral churn. */
  syntheticSeeds?: number;
  /** Required pass rate of the neutral controls. */
  neutralPassRate?: number;
}

export function judgeSlight(baseline: Summary, runs: VariantRun[], options: SlightOptions): SlightReport {
  const mode = options.mode ?? options.config.mode;
  const config = dropOnly(options.config);
  const gated = Object.keys(config.metrics).filter(isRateMetric);
  const record = buildPowerRecord(
    baseline,
    runs.map((r) => ({ name: r.variant.name, role: r.variant.role, summary: r.summary })),
    gated,
  );
  const judge = (s: Summary) => evaluateGate(baseline, s, config, { mode, power: record });

  const mutants: SlightOutcome[] = runs
    .filter((r) => r.variant.role === 'slight')
    .map((r) => {
      const gate = judge(r.summary);
      const delta = deltas(gate);
      const rel = gate.checks
        .filter((c) => c.delta !== undefined && c.maxDrop)
        .map((c) => ({ metric: c.metric, drop: -c.delta!, ratio: -c.delta! / c.maxDrop! }))
        .sort((a, b) => b.ratio - a.ratio)[0];
      const atOrAbove = gate.checks
        .filter((c) => c.delta !== undefined && c.maxDrop !== undefined && -c.delta >= c.maxDrop - 1e-12)
        .map((c) => c.metric);
      const verdict = gate.pass ? 'pass' : 'fail';
      return {
        name: r.variant.name,
        description: r.variant.description,
        delta,
        metric: rel?.metric ?? '',
        drop: Math.round((rel?.drop ?? 0) * 1e5) / 1e5,
        atOrAboveMargin: atOrAbove,
        verdict,
        failed: gate.checks.filter((c) => c.status === 'fail').map((c) => c.metric),
        ok: atOrAbove.length === 0 || verdict === 'fail',
      };
    });

  const required = options.neutralPassRate ?? 0.95;
  const neutralRuns = runs
    .filter((r) => r.variant.role === 'neutral')
    .map((r) => {
      const gate = judge(r.summary);
      return {
        name: r.variant.name,
        verdict: (gate.pass ? 'pass' : 'fail') as 'pass' | 'fail',
        failed: gate.checks.filter((c) => c.status === 'fail').map((c) => c.metric),
        delta: deltas(gate),
      };
    });
  const passed = neutralRuns.filter((r) => r.verdict === 'pass').length;
  const passRate = neutralRuns.length ? passed / neutralRuns.length : 1;
  const neutral = { runs: neutralRuns, passed, passRate, required, ok: passRate >= required };

  // The case: the key-moment run, hitAt1Moment 3 points worse with 4 % and 8 % of cases
  // changing both ways. "Before" is the old gate (superiority, margin 0.02); "after" this config.
  const synthetic: SyntheticOutcome[] = [];
  const km = datasetRun(baseline, 'key-moments.dev.jsonl');
  const metric: RateMetric = 'hitAt1Moment';
  const margin = config.metrics[metric]?.maxDrop;
  if (km.cases && margin !== undefined) {
    const before: GateConfig = { ...config, mode: 'superiority', metrics: { [metric]: { maxDrop: 0.02 } } };
    const after: GateConfig = { ...config, metrics: { [metric]: { maxDrop: margin } } };
    for (const churn of [0.04, 0.08]) {
      const cand = churnedRun(km, { metric, drop: 0.03, churn, seed: 1 });
      for (const [cfg, label, expected] of [
        [before, 'before', undefined],
        [after, 'after', 'fail'],
      ] as const) {
        const g = evaluateGate(km, cand, cfg, { mode: cfg.mode });
        const c = g.checks.find((x) => x.metric === metric)!;
        synthetic.push({
          name: `${label}: ${metric} −3 points, ${churn * 100} % churn`,
          mode: cfg.mode,
          metric,
          margin: cfg.metrics[metric]!.maxDrop!,
          cases: km.cases,
          delta: c.delta,
          lo: c.lo,
          hi: c.hi,
          verdict: g.pass ? 'pass' : 'fail',
          ...(expected ? { expected } : {}),
        });
      }
    }
  }

  // Synthetic neutral churn at the churn the real neutral controls showed (and at 4 % and 8 %).
  const neutralChurn: SlightReport['neutralChurn'] = [];
  const seeds = options.syntheticSeeds ?? 100;
  if (km.cases && margin !== undefined && seeds > 0) {
    const observed = record.runs.filter((r) => r.role === 'neutral').map((r) => r.churn[metric] ?? 0);
    const measured = observed.length ? Math.max(...observed) : 0;
    const cfg: GateConfig = { ...config, metrics: { [metric]: { maxDrop: margin } } };
    for (const churn of [...new Set([Math.round(measured * 1000) / 1000, 0.04, 0.08])].filter((c) => c > 0)) {
      let failures = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const g = evaluateGate(km, churnedRun(km, { metric, drop: 0, churn, seed }, cfg.bootstrap), cfg, {
          mode,
        });
        if (!g.pass) failures += 1;
      }
      neutralChurn.push({ metric, churn, seeds, failureRate: failures / seeds });
    }
  }

  const ok =
    mutants.every((m) => m.ok) &&
    neutral.ok &&
    synthetic.every((s) => s.expected === undefined || s.verdict === s.expected);
  return {
    ok,
    mode,
    mutants,
    neutral,
    synthetic,
    neutralChurn,
    power: powerTable(record, options.config, mode),
    record,
  };
}

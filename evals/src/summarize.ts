import { aggregate, isRateMetric, latencyHistogram, partsOf } from './metrics/aggregate.ts';
import { type BootstrapOptions, bootstrapMetric, DEFAULT_BOOTSTRAP } from './stats/bootstrap.ts';
import type { CaseResult, MetricInterval, Summary } from './summary.ts';

export interface SummaryInfo {
  dataset: string[];
  holdout: boolean;
  client?: string;
  durationMs?: number;
  bootstrap?: BootstrapOptions;
  generatedAt?: string;
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The run JSON from case results. A holdout run keeps aggregates only. */
export function summarize(results: CaseResult[], info: SummaryInfo): Summary {
  const metrics = aggregate(results);
  const ci: Record<string, MetricInterval> = {};
  for (const name of Object.keys(metrics)) {
    if (!isRateMetric(name)) continue;
    const iv = bootstrapMetric(partsOf(name, results), info.bootstrap ?? DEFAULT_BOOTSTRAP);
    if (iv) ci[name] = { lo: r4(iv.lo), hi: r4(iv.hi), se: r4(iv.se) };
  }
  const kinds = [...new Set(results.map((r) => r.kind))];
  const byKind: Summary['byKind'] = {};
  const casesByKind: Record<string, number> = {};
  for (const kind of kinds) {
    const group = results.filter((r) => r.kind === kind);
    byKind[kind] = aggregate(group);
    casesByKind[kind] = group.length;
  }
  return {
    dataset: info.dataset,
    cases: results.length,
    holdout: info.holdout,
    metrics,
    ci,
    byKind,
    casesByKind,
    errors: results.filter((r) => r.error).length,
    latencyHistogram: latencyHistogram(results),
    ...(info.client ? { client: info.client } : {}),
    generatedAt: info.generatedAt ?? new Date().toISOString(),
    ...(info.durationMs !== undefined ? { durationMs: Math.round(info.durationMs) } : {}),
    ...(info.holdout ? {} : { results }),
  };
}

/** JSON with one line per case result: small, readable and diff-friendly. */
export function serializeSummary(s: Summary): string {
  const { results, ...head } = s;
  const top = JSON.stringify(head, null, 2);
  if (!results) return `${top}\n`;
  const body = results.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `${top.slice(0, -2)},\n  "results": [\n${body}\n  ]\n}\n`;
}

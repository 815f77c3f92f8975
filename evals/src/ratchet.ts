import { pairSummaries } from './compare.ts';
import { EvalsError } from './errors.ts';
import { partsOf, RATE_METRICS, type RateMetric } from './metrics/aggregate.ts';
import { casePasses } from './runner.ts';
import { type BootstrapOptions, pairedBootstrapDiff } from './stats/bootstrap.ts';
import { summarize } from './summarize.ts';
import type { CaseResult, Summary } from './summary.ts';

/**
 * The ratchet: the committed baseline takes a new run's per-case values only for the metrics the run
 * is significantly better on (the paired CI's lower bound of Δ above 0); every other metric keeps
 * its old values, case by case. Gains are kept, and a run that is merely "not worse" cannot lower the
 * bar. Refusal precision and recall follow the refusal verdict, so they move with refusalAccuracy.
 */
export interface RatchetDecision {
  metric: RateMetric;
  baseline?: number | undefined;
  run?: number | undefined;
  lo?: number | undefined;
  hi?: number | undefined;
  /** raised: significantly better; kept: not; added: the baseline lacked the metric. */
  action: 'raised' | 'kept' | 'added';
}

export interface RatchetResult {
  baseline: Summary;
  decisions: RatchetDecision[];
  raised: RateMetric[];
}

const REFUSAL_GROUP: RateMetric[] = ['refusalAccuracy', 'refusalPrecision', 'refusalRecall'];

export function ratchetBaseline(
  old: Summary,
  run: Summary,
  opts: BootstrapOptions,
  generatedAt = new Date().toISOString(),
): RatchetResult {
  const pairing = pairSummaries(old, run);
  if (!pairing.paired || pairing.missing.length || run.cases !== old.cases) {
    throw new EvalsError(
      'ratchet',
      `the run does not cover the baseline's cases (${pairing.missing.length} missing, ${run.cases} vs ${old.cases} cases): the datasets changed — record a new baseline with \`pnpm evals baseline\` in a reviewed commit`,
    );
  }
  const decisions: RatchetDecision[] = [];
  for (const metric of RATE_METRICS) {
    if (metric === 'refusalPrecision' || metric === 'refusalRecall') continue;
    const bv = old.metrics[metric];
    const rv = run.metrics[metric];
    if (rv === undefined) continue;
    if (bv === undefined) {
      decisions.push({ metric, run: rv, action: 'added' });
      continue;
    }
    const iv = pairedBootstrapDiff(partsOf(metric, pairing.b), partsOf(metric, pairing.c), opts);
    decisions.push({
      metric,
      baseline: bv,
      run: rv,
      lo: iv?.lo,
      hi: iv?.hi,
      action: iv && iv.lo > 0 ? 'raised' : 'kept',
    });
  }
  const take = new Set(decisions.filter((d) => d.action !== 'kept').map((d) => d.metric));
  const refusal = take.has('refusalAccuracy');
  if (refusal) for (const m of REFUSAL_GROUP) take.add(m);
  const results: CaseResult[] = pairing.b.map((r, i) => {
    const n = pairing.c[i]!;
    const scores = { ...r.scores };
    for (const m of take) {
      if (n.scores[m] === undefined) delete scores[m];
      else scores[m] = n.scores[m]!;
    }
    const merged: CaseResult = { ...r, scores, pass: casePasses(r.call, scores) };
    if (refusal && n.refused !== undefined) merged.refused = n.refused;
    return merged;
  });
  const baseline = summarize(results, {
    dataset: old.dataset,
    holdout: false,
    bootstrap: opts,
    generatedAt,
    ...(old.client ? { client: old.client } : {}),
  });
  return {
    baseline,
    decisions,
    raised: decisions.filter((d) => d.action === 'raised').map((d) => d.metric),
  };
}

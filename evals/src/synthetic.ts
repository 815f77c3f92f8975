import { seededRandom, shuffled } from '@dark-factory/kit';
import type { RateMetric } from './metrics/aggregate.ts';
import type { BootstrapOptions } from './stats/bootstrap.ts';
import { summarize } from './summarize.ts';
import type { CaseResult, Summary } from './summary.ts';

/**
 * Candidates made by editing a real run's per-case scores on purpose (as issue 12 measured the old
 * gate): a binary metric loses `drop` of its cases net while `churn` of them change in both
 * directions — what real changes do. Used to check the gate's verdict on "−3 points with churn" and
 * its false-failure rate on neutral churn; never as a stand-in for a real variant.
 */
export interface ChurnSpec {
  metric: RateMetric;
  /** Net loss, as a share of the cases the metric applies to (0.03 = 3 points). */
  drop: number;
  /** Share of those cases whose value changes (both directions together). */
  churn: number;
  seed: number;
}

/** The run's results with `spec` applied to one binary metric (other metrics untouched). */
export function churnResults(results: CaseResult[], spec: ChurnSpec): CaseResult[] {
  const idx = results.map((r, i) => [r, i] as const).filter(([r]) => r.scores[spec.metric] !== undefined);
  const n = idx.length;
  const changed = Math.max(Math.round(spec.churn * n), Math.round(spec.drop * n));
  const down = Math.round((changed + spec.drop * n) / 2);
  const up = changed - down;
  const rng = seededRandom(spec.seed);
  const ones = shuffled(
    idx.filter(([r]) => r.scores[spec.metric] === 1).map(([, i]) => i),
    rng,
  );
  const zeros = shuffled(
    idx.filter(([r]) => r.scores[spec.metric] === 0).map(([, i]) => i),
    rng,
  );
  if (down > ones.length || up > zeros.length) {
    throw new RangeError(`cannot move ${down} down and ${up} up among ${ones.length}/${zeros.length} cases`);
  }
  const flip = new Map<number, number>([
    ...ones.slice(0, down).map((i) => [i, 0] as const),
    ...zeros.slice(0, up).map((i) => [i, 1] as const),
  ]);
  return results.map((r, i) =>
    flip.has(i) ? { ...r, scores: { ...r.scores, [spec.metric]: flip.get(i)! } } : r,
  );
}

/** A run restricted to one dataset (by file name ending), re-summarised. */
export function datasetRun(run: Summary, datasetEnding: string): Summary {
  const results = (run.results ?? []).filter((r) => r.dataset.endsWith(datasetEnding));
  return summarize(results, {
    dataset: run.dataset.filter((d) => d.endsWith(datasetEnding)),
    holdout: false,
  });
}

export function churnedRun(run: Summary, spec: ChurnSpec, bootstrap?: BootstrapOptions): Summary {
  return summarize(churnResults(run.results ?? [], spec), {
    dataset: run.dataset,
    holdout: false,
    ...(bootstrap ? { bootstrap } : {}),
  });
}

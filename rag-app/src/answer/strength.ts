/**
 * How strongly the search found each hit, from its scores' magnitudes rather than its position.
 * The fused score is a reciprocal rank, so two hits whose BM25 scores differ by 1 % get fused
 * scores a whole rank apart; an answer must not flip on that. Pure.
 */
import type { SearchHit } from '../types.ts';

/** Relative strengths this far apart or more count as one hit fully above the other. */
export const NEAR_TIE = 0.05;

type Side = 'lexical' | 'vector';
const SIDES: readonly Side[] = ['lexical', 'vector'];

/**
 * Each hit's strength in [0, 1]: its score on the side that found it best (lexical, vector),
 * over that side's best among the hits. A hit no side scored (a video's opening, read on
 * purpose) has 0. Hits without any side's scores fall back to the fused score over the best one.
 */
export function hitStrengths(hits: readonly SearchHit[]): number[] {
  const best = new Map<Side, number>();
  for (const side of SIDES) {
    const top = Math.max(0, ...hits.map((h) => h.scores[side] ?? 0));
    if (top > 0) best.set(side, top);
  }
  if (best.size === 0) {
    const top = Math.max(0, ...hits.map((h) => h.score));
    return hits.map((h) => (top > 0 ? Math.max(0, h.score) / top : 0));
  }
  return hits.map((h) =>
    Math.max(0, ...SIDES.map((side) => ((h.scores[side] ?? 0) > 0 ? h.scores[side]! / best.get(side)! : 0))),
  );
}

/**
 * A soft rank per value: how many others are stronger, each counting 1 when it is stronger by
 * `nearTie` or more, ½ when tied, linearly in between. Near-equal values get near-equal ranks
 * whatever order they came in; values far apart get their ordinary 0-based ranks.
 */
export function softRanks(values: readonly number[], nearTie = NEAR_TIE): number[] {
  return values.map((v, i) => {
    let rank = 0;
    values.forEach((w, j) => {
      if (j !== i) rank += Math.min(1, Math.max(0, 0.5 + (w - v) / (2 * nearTie)));
    });
    return rank;
  });
}

/** One ranked list that goes into a fusion, with its weight. */
export interface RankedList {
  ids: readonly number[];
  weight: number;
}

/** The constant of Cormack et al. (2009); it damps the head of each list. */
export const RRF_K = 60;

/**
 * Reciprocal Rank Fusion: score(d) = Σ weight / (k + rank), ranks from 1.
 * Returns ids by fused score, ties broken by first appearance for determinism.
 */
export function reciprocalRankFusion(
  lists: readonly RankedList[],
  k = RRF_K,
): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.ids.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + list.weight / (k + i + 1));
    });
  }
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

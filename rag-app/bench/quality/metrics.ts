/**
 * Retrieval scores with the evals' definitions (evals/src/metrics/retrieval.ts: a moment hit is a
 * passage of a gold video whose span overlaps a gold second ± 30 s; linkAt1 is the top link within
 * ± 15 s). Restated here because rag-app may not import the evals package (evals → rag-app).
 */
import type { QualityCase } from './cases.ts';

export const MOMENT_TOLERANCE_S = 30;
export const LINK_TOLERANCE_S = 15;
export const K = 10;

/** One ranked passage of any system: its video, its span and the second its deep link opens. */
export interface RankedSpan {
  videoId: string;
  start: number;
  end: number;
  linkSecond: number;
}

export const METRICS = ['hitAt1Moment', 'hitAt5Moment', 'hitAt5Video', 'linkAt1', 'recallAt10Video'] as const;
export type Metric = (typeof METRICS)[number];
export type Scores = Partial<Record<Metric, number>>;

/** Per-case scores; moment scores and linkAt1 only when a gold second is known. */
export function scoreCase(c: QualityCase, ranked: readonly RankedSpan[]): Scores {
  const hits = ranked.slice(0, K);
  const videos = new Set(c.gold.map((g) => g.videoId));
  const moments = c.gold.filter((g) => g.t !== null) as { videoId: string; t: number }[];
  const videoRank = hits.findIndex((h) => videos.has(h.videoId));
  const found = new Set(hits.filter((h) => videos.has(h.videoId)).map((h) => h.videoId));
  const scores: Scores = {
    hitAt5Video: videoRank >= 0 && videoRank < 5 ? 1 : 0,
    recallAt10Video: found.size / videos.size,
  };
  if (moments.length > 0) {
    const covers = (h: RankedSpan) =>
      moments.some(
        (m) =>
          m.videoId === h.videoId && h.start <= m.t + MOMENT_TOLERANCE_S && h.end >= m.t - MOMENT_TOLERANCE_S,
      );
    const momentRank = hits.findIndex(covers);
    const top = hits[0];
    scores.hitAt1Moment = momentRank === 0 ? 1 : 0;
    scores.hitAt5Moment = momentRank >= 0 && momentRank < 5 ? 1 : 0;
    scores.linkAt1 =
      top &&
      moments.some((m) => m.videoId === top.videoId && Math.abs(top.linkSecond - m.t) <= LINK_TOLERANCE_S)
        ? 1
        : 0;
  }
  return scores;
}

/** Mean of each metric over the cases it applies to (absent when it applies to none). */
export function meanScores(perCase: readonly Scores[]): Scores {
  const out: Scores = {};
  for (const m of METRICS) {
    const values = perCase.map((s) => s[m]).filter((x): x is number => x !== undefined);
    if (values.length > 0) out[m] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return out;
}

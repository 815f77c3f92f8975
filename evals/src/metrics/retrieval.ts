import type { Gold } from '../dataset.ts';

/** A retrieved passage counts for a gold moment when its span overlaps the gold second ± this. */
export const MOMENT_TOLERANCE_S = 30;
/** A deep link counts when it lands within this many seconds of the gold second. */
export const LINK_TOLERANCE_S = 15;
/** Graded link distance: full credit on the gold second, none from this many seconds away. */
export const LINK_PROXIMITY_S = 60;
export const RETRIEVAL_K = 10;

export interface HitSpan {
  videoId: string;
  start: number;
  end: number;
  citeStart: number;
}

export interface Moment {
  videoId: string;
  t: number;
}

export function goldMoments(gold: Gold[]): Moment[] {
  const seen = new Set<string>();
  const out: Moment[] = [];
  for (const g of gold) {
    if (g.t === null) continue;
    const key = `${g.videoId}@${g.t}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ videoId: g.videoId, t: g.t });
  }
  return out;
}

export function goldVideos(gold: Gold[]): Set<string> {
  return new Set(gold.map((g) => g.videoId));
}

/** The span [start, end] of the same video overlaps [t − tol, t + tol]. */
export function coversMoment(
  span: { videoId: string; start: number; end: number },
  m: Moment,
  tol = MOMENT_TOLERANCE_S,
): boolean {
  if (span.videoId !== m.videoId || !Number.isFinite(span.start) || !Number.isFinite(span.end)) return false;
  return span.start <= m.t + tol && span.end >= m.t - tol;
}

function firstRank(hits: HitSpan[], pred: (h: HitSpan) => boolean): number | null {
  const i = hits.findIndex(pred);
  return i < 0 ? null : i + 1;
}

/**
 * nDCG@10 with each gold video and each gold moment credited once: a hit gains 1 for being the first
 * hit from a gold video and 1 for covering a gold moment no earlier hit covered (so 2 = a moment hit
 * in a new gold video, 1 = video hit or a further moment). The ideal list puts, per gold video, one
 * hit worth 2 (or 1 when the video has no moments) and then one worth 1 per remaining moment; no
 * achievable ranking exceeds it, so the score stays in [0, 1].
 */
export function ndcgAt10(gold: Gold[], hits: HitSpan[]): number {
  const videos = goldVideos(gold);
  const moments = goldMoments(gold);
  const seenVideos = new Set<string>();
  const claimed = new Set<number>();
  let dcg = 0;
  hits.slice(0, RETRIEVAL_K).forEach((h, i) => {
    let gain = 0;
    if (videos.has(h.videoId) && !seenVideos.has(h.videoId)) {
      seenVideos.add(h.videoId);
      gain += 1;
    }
    const m = moments.findIndex((mo, j) => !claimed.has(j) && coversMoment(h, mo));
    if (m >= 0) {
      claimed.add(m);
      gain += 1;
    }
    dcg += gain / Math.log2(i + 2);
  });
  const ideal: number[] = [];
  for (const v of videos) {
    const n = moments.filter((m) => m.videoId === v).length;
    ideal.push(n > 0 ? 2 : 1, ...Array<number>(Math.max(0, n - 1)).fill(1));
  }
  ideal.sort((a, b) => b - a);
  const idcg = ideal.slice(0, RETRIEVAL_K).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

/**
 * Per-case retrieval scores from the ranked hits (only the top 10 count). Moment scores and
 * linkAt1 are left out when no gold entry has a known second.
 */
export function retrievalScores(gold: Gold[], allHits: HitSpan[]): Record<string, number> {
  const hits = allHits.slice(0, RETRIEVAL_K);
  const videos = goldVideos(gold);
  const moments = goldMoments(gold);
  const videoRank = firstRank(hits, (h) => videos.has(h.videoId));
  const at = (rank: number | null, k: number) => (rank !== null && rank <= k ? 1 : 0);
  const found = new Set(hits.filter((h) => videos.has(h.videoId)).map((h) => h.videoId));
  const scores: Record<string, number> = {
    hitAt1Video: at(videoRank, 1),
    hitAt5Video: at(videoRank, 5),
    hitAt10Video: at(videoRank, 10),
    mrrVideo: videoRank ? 1 / videoRank : 0,
    recallAt10Video: videos.size ? found.size / videos.size : 0,
    ndcgAt10: ndcgAt10(gold, hits),
  };
  if (moments.length) {
    const momentRank = firstRank(hits, (h) => moments.some((m) => coversMoment(h, m)));
    const top = hits[0];
    scores.hitAt1Moment = at(momentRank, 1);
    scores.hitAt5Moment = at(momentRank, 5);
    scores.hitAt10Moment = at(momentRank, 10);
    scores.mrrMoment = momentRank ? 1 / momentRank : 0;
    scores.linkAt1 =
      top &&
      moments.some((m) => m.videoId === top.videoId && Math.abs(top.citeStart - m.t) <= LINK_TOLERANCE_S)
        ? 1
        : 0;
    // The same question as linkAt1, graded: fewer cases flip on a small shift, so less variance.
    const distances = top
      ? moments.filter((m) => m.videoId === top.videoId).map((m) => Math.abs(top.citeStart - m.t))
      : [];
    scores.linkProximityAt1 = distances.length
      ? Math.max(0, 1 - Math.min(...distances) / LINK_PROXIMITY_S)
      : 0;
  }
  return scores;
}

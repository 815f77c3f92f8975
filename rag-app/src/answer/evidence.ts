/**
 * Search wide, then read closely: before answering, `ask` looks further into the videos the search
 * points at. The first hits are ranked across the whole corpus; an answer needs the moments of the
 * one or two videos that treat the question, and a video whose title names the subject usually
 * says what it is in its opening minute. The I/O (a search inside one video, the corpus's titles,
 * a video's opening) is passed in, so the choice itself is testable without a store.
 */
import type { SearchHit } from '../types.ts';
import { analyseQuestion, stemmedWords } from './question.ts';
import { hitStrengths } from './strength.ts';
import { type TermStats, termWeight } from './support.ts';

export interface EvidenceSources {
  /** The question's best moments inside one video. */
  searchVideo(videoId: string, k: number): Promise<SearchHit[]>;
  /** Every video's id and title. */
  titles(): Promise<readonly { videoId: string; title: string }[]>;
  /** The video's first moments as a hit, or null when it has none. */
  opening(videoId: string): Promise<SearchHit | null>;
}

export interface EvidenceSettings {
  /** Videos of the first hits looked into, the most strongly found first (videosByStrength). */
  topVideos: number;
  /** Extra moments taken from each video looked into. */
  perVideo: number;
  /** A title naming at least this weighted share of the question makes its video a topic video. */
  titleShare: number;
  /** Topic videos looked into (and their openings added). */
  titleVideos: number;
  /** At most this many passages in all. */
  maxHits: number;
}

// Measured on the answerability dev set (factRecall / citationMomentAccuracy): no reading further
// 0.367 / 0.237; the top video and the best title video 0.489 / 0.312; two of each 0.467 / 0.307
// at twice the searches.
export const DEFAULT_EVIDENCE: EvidenceSettings = {
  topVideos: 1,
  perVideo: 3,
  titleShare: 0.5,
  titleVideos: 1,
  maxHits: 14,
};

// Title terms are worked out once per list of titles (the list changes only with the corpus).
const titleCache = new WeakMap<object, Set<string>[]>();

function titleTerms(titles: readonly { title: string }[]): Set<string>[] {
  let cached = titleCache.get(titles);
  if (!cached) {
    cached = titles.map(({ title }) => {
      const ws = stemmedWords(title);
      // Stems, plus adjacent pairs joined ("work trees" → "worktre").
      return new Set([...ws, ...ws.slice(0, -1).map((w, i) => `${w}${ws[i + 1]}`)]);
    });
    titleCache.set(titles, cached);
  }
  return cached;
}

/** Videos whose titles name most of the question's subject, best first. */
export function titleMatches(
  question: string,
  titles: readonly { videoId: string; title: string }[],
  stats: TermStats,
  minShare = DEFAULT_EVIDENCE.titleShare,
): { videoId: string; title: string; share: number }[] {
  const subject = analyseQuestion(question).subject;
  const weights = subject.map((t) => termWeight(t.term, stats));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const out: { videoId: string; title: string; share: number }[] = [];
  const stemmed = titleTerms(titles);
  for (const [i, { videoId, title }] of titles.entries()) {
    const have = stemmed[i]!;
    let share = 0;
    subject.forEach((t, j) => {
      if (have.has(t.term)) share += weights[j]!;
    });
    share /= total;
    if (share >= minShare) out.push({ videoId, title, share });
  }
  return out.sort((a, b) => b.share - a.share || (a.videoId < b.videoId ? -1 : 1));
}

/**
 * The videos of the hits, the one the search found most strongly first: by the summed strength of
 * its hits (a video with several strong moments treats the question; one strong moment may be a
 * remark in passing), not by which hit came first, so a near-tie of two hits does not decide it.
 */
export function videosByStrength(hits: readonly SearchHit[]): string[] {
  const strengths = hitStrengths(hits);
  const sums = new Map<string, number>();
  hits.forEach((h, i) => {
    sums.set(h.videoId, (sums.get(h.videoId) ?? 0) + strengths[i]!);
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([videoId]) => videoId);
}

/** Whether `hit` mostly repeats a passage already held (same video, overlapping by half or more). */
function repeats(hit: SearchHit, held: readonly SearchHit[]): boolean {
  return held.some((h) => {
    if (h.videoId !== hit.videoId) return false;
    const shared = Math.min(h.end, hit.end) - Math.max(h.start, hit.start);
    return shared >= 0.5 * Math.min(h.end - h.start, hit.end - hit.start);
  });
}

/**
 * The hits, then more moments from the videos they rank first and from the videos whose titles
 * name the subject (with their openings). Original hits keep their order and come first.
 */
export async function gatherEvidence(
  question: string,
  hits: readonly SearchHit[],
  sources: EvidenceSources,
  stats: TermStats,
  settings: EvidenceSettings = DEFAULT_EVIDENCE,
): Promise<SearchHit[]> {
  const out = [...hits];
  const add = (hit: SearchHit | null) => {
    if (hit && out.length < settings.maxHits && !repeats(hit, out)) out.push(hit);
  };
  const topic = titleMatches(question, await sources.titles(), stats, settings.titleShare).slice(
    0,
    settings.titleVideos,
  );
  const ranked = videosByStrength(hits).slice(0, settings.topVideos);
  const videos = [...new Set([...ranked, ...topic.map((t) => t.videoId)])];
  for (const videoId of videos) {
    for (const hit of await sources.searchVideo(videoId, settings.perVideo)) add(hit);
  }
  for (const t of topic) add(await sources.opening(t.videoId));
  return out;
}

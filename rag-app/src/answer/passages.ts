/**
 * The evidence as the extractive answerer reads it: the segments of one video's hits merged (an
 * overlapping chunk is read once) into runs of contiguous transcript, each cut into units.
 */
import type { SearchHit, Segment } from '../types.ts';
import { layOut, type Sentence } from './sentences.ts';
import { hitStrengths, softRanks } from './strength.ts';

/** A run of contiguous transcript from one video, made of the segments of one or more hits. */
export interface Passage {
  videoId: string;
  title: string;
  /**
   * Best soft rank (strength.ts) of the hits it came from: how many hits the search found more
   * strongly, by their scores' magnitudes (0 = none, a near-tie counts ½), so near-tied hits give
   * near-equal passages whatever order they came in.
   */
  rank: number;
  stream: string;
  segments: Segment[];
  units: Unit[];
}

export interface Unit extends Sentence {
  passage: Passage;
  /** Position in the passage's units. */
  index: number;
  terms: ReadonlySet<string>;
  sponsor: boolean;
  framing: 'meta' | 'demo' | null;
  coverage: number;
  relevance: number;
}

/** Best ranked first; equal ranks by video and second, never by the order the hits came in. */
export function byRank(a: Passage, b: Passage): number {
  return (
    a.rank - b.rank ||
    (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0) ||
    a.segments[0]!.start - b.segments[0]!.start
  );
}

/** Segments of one video's hits merged by start second, cut into contiguous passages. */
export function passagesOf(hits: readonly SearchHit[]): Passage[] {
  const byVideo = new Map<string, { title: string; segments: Map<number, { s: Segment; rank: number }> }>();
  // A moment found by a search inside one video ranks by its score (the same BM25 scale), and a
  // segment two hits share keeps the better rank.
  const ranks = softRanks(hitStrengths(hits));
  hits.forEach((hit, i) => {
    const rank = ranks[i]!;
    let v = byVideo.get(hit.videoId);
    if (!v) {
      v = { title: hit.title, segments: new Map() };
      byVideo.set(hit.videoId, v);
    }
    const segs =
      hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
    for (const s of segs) {
      const held = v.segments.get(s.start);
      if (!held) v.segments.set(s.start, { s, rank });
      else held.rank = Math.min(held.rank, rank);
    }
  });
  const passages: Passage[] = [];
  for (const [videoId, v] of byVideo) {
    const sorted = [...v.segments.values()].sort((a, b) => a.s.start - b.s.start);
    let run: { s: Segment; rank: number }[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const segments = run.map((r) => r.s);
      passages.push({
        videoId,
        title: v.title,
        rank: Math.min(...run.map((r) => r.rank)),
        stream: layOut(segments).stream,
        segments,
        units: [],
      });
      run = [];
    };
    for (const r of sorted) {
      const last = run[run.length - 1];
      if (last && r.s.start > last.s.end + 2) flush();
      run.push(r);
    }
    flush();
  }
  return passages.sort(byRank);
}

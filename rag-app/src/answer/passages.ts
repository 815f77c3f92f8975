/**
 * The evidence as the extractive answerer reads it: the segments of one video's hits merged (an
 * overlapping chunk is read once) into runs of contiguous transcript, each cut into units.
 */
import type { SearchHit, Segment } from '../types.ts';
import { layOut, type Sentence } from './sentences.ts';

/** A run of contiguous transcript from one video, made of the segments of one or more hits. */
export interface Passage {
  videoId: string;
  title: string;
  /** Best rank (0-based) of the hits it came from. */
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

/** Segments of one video's hits merged by start second, cut into contiguous passages. */
export function passagesOf(hits: readonly SearchHit[]): Passage[] {
  const byVideo = new Map<string, { title: string; segments: Map<number, { s: Segment; rank: number }> }>();
  // Rank by fused score, not position: a moment found by a search inside one video ranks as it
  // ranked there (its score is on the same scale), not behind every first-round hit.
  const scores = hits.map((h) => h.score);
  hits.forEach((hit) => {
    const rank = scores.filter((s) => s > hit.score).length;
    let v = byVideo.get(hit.videoId);
    if (!v) {
      v = { title: hit.title, segments: new Map() };
      byVideo.set(hit.videoId, v);
    }
    const segs =
      hit.segments.length > 0 ? hit.segments : [{ start: hit.start, end: hit.end, text: hit.text }];
    for (const s of segs) if (!v.segments.has(s.start)) v.segments.set(s.start, { s, rank });
  });
  const passages: Passage[] = [];
  for (const [videoId, v] of byVideo) {
    const sorted = [...v.segments.values()].sort((a, b) => a.s.start - b.s.start);
    let run: { s: Segment; rank: number }[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const segments = run.map((r) => r.s);
      const p: Passage = {
        videoId,
        title: v.title,
        rank: Math.min(...run.map((r) => r.rank)),
        stream: layOut(segments).stream,
        segments,
        units: [],
      };
      passages.push(p);
      run = [];
    };
    for (const r of sorted) {
      const last = run[run.length - 1];
      if (last && r.s.start > last.s.end + 2) flush();
      run.push(r);
    }
    flush();
  }
  return passages.sort((a, b) => a.rank - b.rank || a.segments[0]!.start - b.segments[0]!.start);
}

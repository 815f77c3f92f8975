import { terms } from '../text/tokenize.ts';
import type { Segment } from '../types.ts';

/**
 * Search wide, cite narrow: inside a retrieved chunk, find the segment where the matching passage
 * starts, so a citation lands on the moment rather than at the start of the window.
 * Each segment is scored by the idf-weighted query terms it holds, smoothed with its successor
 * (a passage often starts one segment before its densest part), and ties go to the earlier one.
 */
/** Weights of the following segments in a segment's score; measured on the key-moment dev set. */
export const LOOKAHEAD: readonly number[] = [0.8, 0.3];

export function localize(
  query: string,
  segments: readonly Segment[],
  idf: (term: string) => number = () => 1,
  lookahead: readonly number[] = LOOKAHEAD,
): { index: number; start: number } {
  if (segments.length === 0) return { index: 0, start: 0 };
  const qTerms = [...new Set(terms(query))];
  const segScores = segments.map((s) => {
    const present = new Set(terms(s.text));
    let score = 0;
    for (const t of qTerms) if (present.has(t)) score += idf(t);
    return score;
  });
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < segments.length; i++) {
    let score = segScores[i]!;
    lookahead.forEach((w, j) => {
      score += w * (segScores[i + j + 1] ?? 0);
    });
    if (score > bestScore + 1e-9) {
      best = i;
      bestScore = score;
    }
  }
  return { index: best, start: Math.floor(segments[best]!.start) };
}

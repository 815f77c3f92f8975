/**
 * Which window a hit shows. Windows overlap (ingest cuts ~60 s with 30 s shared), so a passage that
 * matches a question often lies in two neighbours, and BM25 ranks first the one where its words are
 * densest, which is usually the later one: a described moment is introduced, then discussed. When
 * the window before a hit overlaps it and matches nearly as well, the matching passage began there,
 * so the hit shows that window (same length, its own link). On the key-moment dev set the gold
 * second lies before a missed hit's span far more often than after it (root README "Performance").
 */

/** A candidate window: its chunk id, video, span and BM25 score (null: found by vectors only). */
export interface Window {
  id: number;
  videoId: string;
  start: number;
  end: number;
  lexical: number | null;
}

/**
 * For each window whose predecessor (the latest-starting window of its video that starts before it
 * and overlaps it, among the candidates) has a BM25 score of at least `ratio` times its own, the
 * id of that predecessor. One step only: a chain of near-ties would walk away from the match.
 * `ratio` ≤ 0 or no lexical scores: nothing moves.
 */
export function momentStarts(windows: readonly Window[], ratio: number): Map<number, number> {
  const out = new Map<number, number>();
  if (ratio <= 0) return out;
  const byVideo = new Map<string, Window[]>();
  for (const w of windows) {
    const list = byVideo.get(w.videoId);
    if (list) list.push(w);
    else byVideo.set(w.videoId, [w]);
  }
  for (const w of windows) {
    if (w.lexical === null || w.lexical <= 0) continue;
    let before: Window | undefined;
    for (const p of byVideo.get(w.videoId)!) {
      if (p.start < w.start && p.end > w.start && (!before || p.start > before.start)) before = p;
    }
    if (before && before.lexical !== null && before.lexical >= ratio * w.lexical) out.set(w.id, before.id);
  }
  return out;
}

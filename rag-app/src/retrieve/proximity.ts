/**
 * Words of the query said together. BM25 scores each term on its own, so a chunk that says "context
 * rot" ranks no higher than one that says "context" early and "rot" a minute later. A described
 * moment is told in the words of its description, side by side: each pair of query terms (at most
 * `gap` apart in the query) that a chunk says in the same order, at most one index term further apart,
 * adds the rarer term's idf times `weight` to the chunk's BM25 score. Pure.
 */
import { terms } from '../text/tokenize.ts';

export interface ProximitySettings {
  /** Share of a pair's idf added to the BM25 score; 0 turns it off. */
  weight: number;
  /** Query terms at most this many places apart form a pair. */
  gap: number;
}

/**
 * Tuned on half A of the key-moment dev set, confirmed on half B, the concept set as a floor
 * (scripts/tune-retrieval.ts; root README "Performance").
 */
export const PROXIMITY: ProximitySettings = { weight: 0.5, gap: 2 };

/** The ordered pairs of distinct query terms at most `gap` places apart, as "a b". */
export function queryPairs(queryTerms: readonly string[], gap: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < queryTerms.length; i++) {
    for (let j = i + 1; j <= i + gap && j < queryTerms.length; j++) {
      if (queryTerms[i] !== queryTerms[j]) out.add(`${queryTerms[i]} ${queryTerms[j]}`);
    }
  }
  return out;
}

/** The bonus for the query pairs a text says in order, each pair counted once. */
export function proximityBonus(
  pairs: ReadonlySet<string>,
  text: string,
  idf: (term: string) => number,
  settings: ProximitySettings = PROXIMITY,
): number {
  if (pairs.size === 0 || settings.weight <= 0) return 0;
  const ts = terms(text);
  // Speech puts a word more between them than a written description does ("context window rot").
  const reach = settings.gap + 1;
  const found = new Set<string>();
  for (let i = 0; i < ts.length; i++) {
    for (let j = i + 1; j <= i + reach && j < ts.length; j++) {
      const pair = `${ts[i]} ${ts[j]}`;
      if (pairs.has(pair)) found.add(pair);
    }
  }
  let bonus = 0;
  for (const pair of found) {
    const [a, b] = pair.split(' ') as [string, string];
    bonus += Math.min(idf(a), idf(b));
  }
  return settings.weight * bonus;
}

/** The lexical hits with the bonus added to their scores, best first (ties by id, as BM25 orders them). */
export function withProximity<T extends { id: number; score: number }>(
  hits: readonly T[],
  query: string,
  textOf: (id: number) => string | undefined,
  idf: (term: string) => number,
  settings: ProximitySettings = PROXIMITY,
): T[] {
  const pairs = queryPairs(terms(query), settings.gap);
  if (pairs.size === 0 || settings.weight <= 0) return [...hits];
  return hits
    .map((h) => {
      const text = textOf(h.id);
      return text === undefined ? h : { ...h, score: h.score + proximityBonus(pairs, text, idf, settings) };
    })
    .sort((a, b) => b.score - a.score || a.id - b.id);
}

/**
 * Term handling shared by the extractive answerer and the refusal gate: the app's tokenizer and
 * IDF-like weights computed from the retrieved text itself (the answerer sees only the hits).
 */

// One tokenizer for the whole app: the answerer sees the same terms as the BM25 index.
export { questionTerms, terms as contentTerms } from '../text/tokenize.ts';

/**
 * BM25-style IDF of each term over a set of documents (each a set of terms). Always positive, so a
 * term every document shares still counts a little; a term no document has gets the most weight.
 */
export function idfWeights(
  terms: readonly string[],
  docs: readonly ReadonlySet<string>[],
): Map<string, number> {
  const n = docs.length;
  const weights = new Map<string, number>();
  for (const term of terms) {
    let df = 0;
    for (const doc of docs) if (doc.has(term)) df++;
    weights.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  return weights;
}

/** Jaccard similarity of two term sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

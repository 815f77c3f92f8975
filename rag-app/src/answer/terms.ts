/**
 * Term handling shared by the extractive answerer and the refusal decision: the app's tokenizer
 * and set similarity.
 */

// One tokenizer for the whole app: the answerer sees the same terms as the BM25 index.
export { questionTerms, terms as contentTerms } from '../text/tokenize.ts';

/** Jaccard similarity of two term sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

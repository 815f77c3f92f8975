/**
 * A textbook Okapi BM25 (k1 1.2, b 0.75) over any passages, with the app's tokenizer (Porter stems,
 * stopwords): what "the same chunks under a plain BM25" means in the side-by-side benchmark. No
 * respelling, no localisation, no diversity: the ranking ours must beat to earn its complexity.
 */
import { termFrequencies, terms } from '../../src/text/tokenize.ts';

export const PLAIN_BM25 = { k1: 1.2, b: 0.75 } as const;

export class PlainBm25 {
  private readonly postings = new Map<string, { docs: number[]; tfs: number[] }>();
  private readonly lengths: number[] = [];
  private readonly avgdl: number;

  constructor(texts: readonly string[]) {
    texts.forEach((text, doc) => {
      const tokens = terms(text);
      this.lengths.push(tokens.length);
      for (const [term, tf] of termFrequencies(tokens)) {
        let p = this.postings.get(term);
        if (!p) {
          p = { docs: [], tfs: [] };
          this.postings.set(term, p);
        }
        p.docs.push(doc);
        p.tfs.push(tf);
      }
    });
    this.avgdl = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, this.lengths.length) || 1;
  }

  /** Indexes of the `limit` best passages for `query`, best first (ties: earlier passage). */
  search(query: string, limit: number): { doc: number; score: number }[] {
    const n = this.lengths.length;
    const scores = new Map<number, number>();
    for (const [term, qtf] of termFrequencies(terms(query))) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = Math.log(1 + (n - p.docs.length + 0.5) / (p.docs.length + 0.5));
      const { k1, b } = PLAIN_BM25;
      for (let i = 0; i < p.docs.length; i++) {
        const doc = p.docs[i]!;
        const tf = p.tfs[i]!;
        const norm = tf + k1 * (1 - b + (b * this.lengths[doc]!) / this.avgdl);
        scores.set(doc, (scores.get(doc) ?? 0) + (qtf * idf * tf * (k1 + 1)) / norm);
      }
    }
    return [...scores.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, limit)
      .map(([doc, score]) => ({ doc, score }));
  }
}

import type { Db, Queryable } from '../store/db.ts';
import {
  type Bm25Corpus,
  bm25Corpus,
  bm25Rank,
  termDfs,
  termsInShapes,
  termsShaped,
  tsRank,
} from '../store/lexical.ts';
import { termFrequencies, terms } from '../text/tokenize.ts';
import type { SearchOptions } from '../types.ts';
import { RARE_DF, respell, type Vocabulary } from './oov.ts';
import type { TermShape, TermStatsSource } from './term-stats.ts';

export interface LexicalHit {
  id: number;
  score: number;
}

export interface Bm25Params {
  k1: number;
  b: number;
  respell: boolean;
}

/** Okapi BM25 parameters; b < 0.75 because chunks have near-equal durations already. */
export const BM25: Bm25Params = { k1: 1.2, b: 0.5, respell: true };

/** BM25's idf (the +1 keeps it positive for terms in most chunks); 0 for a term no chunk holds. */
export function bm25Idf(chunks: number, df: number): number {
  return df === 0 ? 0 : Math.log(1 + (chunks - df + 0.5) / (df + 0.5));
}

/** Mean chunk length, 1 for an empty store. */
export function meanLength(corpus: Bm25Corpus): number {
  return corpus.totalLength / Math.max(corpus.chunks, 1) || 1;
}

/**
 * The query's terms with their weight (query term frequency), in the order BM25 adds them: the
 * query's own, then the respellings of those the corpus lacks (oov.ts). One function for both
 * rankers, so they sum the same terms in the same order.
 */
export function queryWeights(query: string, vocab: Vocabulary | null): Map<string, number> {
  const weights = termFrequencies(terms(query));
  if (vocab) {
    for (const [term, weight] of respell(weights.keys(), vocab)) {
      weights.set(term, (weights.get(term) ?? 0) + weight);
    }
  }
  return weights;
}

/**
 * A BM25 ranking of the store's chunks: in memory (bm25-index.ts) or in SQL (below). It is also
 * the corpus's term statistics (term-stats.ts), from the same place, for the refusal and the answer.
 */
export interface LexicalRanker extends TermStatsSource {
  readonly kind: 'memory' | 'sql';
  /** Chunks in the corpus it ranks. */
  readonly size: number;
  search(query: string, limit: number, options?: SearchOptions, params?: Bm25Params): Promise<LexicalHit[]>;
  /** idf of the query's own terms (localisation weights); 0 for any other term. */
  idfs(query: string): Promise<(term: string) => number>;
}

/** A vocabulary over the terms fetched for one query; any other term reads as absent. */
function fetchedVocabulary(dfs: ReadonlyMap<string, number>): Vocabulary {
  return { df: (t) => dfs.get(t) ?? 0, terms: () => dfs.keys() };
}

/** The longest edit oov.ts allows (two): candidates within two letters of a missing term's length. */
const MAX_EDITS = 2;

/**
 * BM25 ranked in PostgreSQL (PGlite or a server) over chunk_terms, with the same terms, weights,
 * parameters and tie order as the in-memory index, so the same chunks come back with the same
 * scores (test/lexical-sql.test.ts). Nothing is loaded up front: a query reads the document
 * frequencies of its terms, the vocabulary near any term the corpus lacks (for respelling), and the
 * postings of its terms.
 */
export class SqlBm25 implements LexicalRanker {
  readonly kind = 'sql';
  private last: { query: string; respelled: boolean; dfs: Map<string, number> } | null = null;

  constructor(
    private readonly q: Db,
    private readonly corpus: Bm25Corpus,
  ) {}

  static async load(q: Db): Promise<SqlBm25> {
    return new SqlBm25(q, await bm25Corpus(q));
  }

  get size(): number {
    return this.corpus.chunks;
  }

  /** Document frequencies of everything respelling `query` may look at (one to three queries). */
  private async vocabularyFor(query: string, withRespell: boolean): Promise<Map<string, number>> {
    if (this.last?.query === query && (this.last.respelled || !withRespell)) return this.last.dfs;
    const own = [...termFrequencies(terms(query)).keys()];
    const dfs = await termDfs(this.q, own);
    const missing = own.filter((t) => !dfs.has(t));
    // A rare term may be respelled too (its split into two common words): respell looks at both.
    const respelled = own.filter((t) => (dfs.get(t) ?? 0) <= RARE_DF);
    if (withRespell && respelled.length > 0) {
      for (const t of missing) {
        for (const [term, df] of await termsShaped(this.q, t[0]!, t.length - MAX_EDITS, t.length + MAX_EDITS))
          dfs.set(term, df);
      }
      // Splits look up parts the candidates may not hold: record them, fetch them, and the next
      // respell sees everything the in-memory vocabulary would have answered.
      const asked = new Set<string>();
      respell(respelled, {
        df: (t) => {
          if (!dfs.has(t)) asked.add(t);
          return dfs.get(t) ?? 0;
        },
        terms: () => dfs.keys(),
      });
      for (const [term, df] of await termDfs(this.q, [...asked])) dfs.set(term, df);
    }
    this.last = { query, respelled: withRespell, dfs };
    return dfs;
  }

  async search(
    query: string,
    limit: number,
    options: SearchOptions = {},
    params: Bm25Params = BM25,
  ): Promise<LexicalHit[]> {
    const dfs = await this.vocabularyFor(query, params.respell);
    const weights = queryWeights(query, params.respell ? fetchedVocabulary(dfs) : null);
    const weighted: { term: string; weight: number }[] = [];
    for (const [term, qtf] of weights) {
      const df = dfs.get(term) ?? 0;
      if (df > 0) weighted.push({ term, weight: qtf * bm25Idf(this.corpus.chunks, df) });
    }
    return bm25Rank(
      this.q,
      { terms: weighted, k1: params.k1, b: params.b, avgdl: meanLength(this.corpus), limit },
      options,
    );
  }

  async idfs(query: string): Promise<(term: string) => number> {
    const dfs = await this.vocabularyFor(query, true);
    return (term) => bm25Idf(this.corpus.chunks, dfs.get(term) ?? 0);
  }

  dfs(terms: readonly string[]): Promise<Map<string, number>> {
    return termDfs(this.q, terms);
  }

  shaped(shapes: readonly TermShape[]): Promise<Map<string, number>> {
    return termsInShapes(this.q, shapes);
  }
}

/** Postgres's own ranking, kept to measure against BM25 (see README "Tuning"). */
export async function tsRankSearch(
  q: Queryable,
  query: string,
  limit: number,
  options: SearchOptions = {},
): Promise<LexicalHit[]> {
  return tsRank(q, terms(query), limit, options);
}

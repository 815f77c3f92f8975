import type { Db, Queryable } from '../store/db.ts';
import { allPostings, bm25Corpus, chunkLengths } from '../store/lexical.ts';
import { corpusVersion } from '../store/videos.ts';
import type { SearchOptions } from '../types.ts';
import {
  BM25,
  type Bm25Params,
  bm25Idf,
  type LexicalHit,
  type LexicalRanker,
  queryWeights,
  SqlBm25,
} from './lexical.ts';
import type { TermShape } from './term-stats.ts';

interface Posting {
  docs: number[];
  tfs: number[];
}

interface DocInfo {
  id: number;
  videoId: string;
  published: string | null;
  length: number;
}

/**
 * An in-memory Okapi BM25 index over the store's chunk_terms postings. The store stays the source
 * of truth: the index is rebuilt whenever the corpus version changes, so every process (server,
 * CLI, evals) ranks the same way. It reads every posting into the process, so it serves small
 * corpora only: above IN_MEMORY_MAX_CHUNKS the same ranking comes from SQL (SqlBm25).
 */
export class Bm25Index {
  private constructor(
    private readonly postings: Map<string, Posting>,
    private readonly docs: DocInfo[],
    private readonly avgdl: number,
  ) {}

  static async load(q: Queryable): Promise<Bm25Index> {
    const docs: DocInfo[] = (await chunkLengths(q)).map((r) => ({
      id: r.id,
      videoId: r.videoId,
      published:
        r.published instanceof Date
          ? r.published.toISOString().slice(0, 10)
          : (r.published?.slice(0, 10) ?? null),
      length: r.length,
    }));
    const slot = new Map(docs.map((d, i) => [d.id, i]));
    const postings = new Map<string, Posting>();
    await allPostings(q, (chunkId, term, tf) => {
      const doc = slot.get(chunkId);
      if (doc === undefined) return;
      let p = postings.get(term);
      if (!p) {
        p = { docs: [], tfs: [] };
        postings.set(term, p);
      }
      p.docs.push(doc);
      p.tfs.push(tf);
    });
    const avgdl = docs.reduce((n, d) => n + d.length, 0) / Math.max(docs.length, 1) || 1;
    return new Bm25Index(postings, docs, avgdl);
  }

  get size(): number {
    return this.docs.length;
  }

  idf(term: string): number {
    return bm25Idf(this.docs.length, this.df(term));
  }

  df(term: string): number {
    return this.postings.get(term)?.docs.length ?? 0;
  }

  terms(): Iterable<string> {
    return this.postings.keys();
  }

  /** Vocabulary terms (with df) of any of the shapes, as store/lexical.ts's termsInShapes. */
  shaped(shapes: readonly TermShape[]): Map<string, number> {
    const out = new Map<string, number>();
    if (shapes.length === 0) return out;
    for (const [term, p] of this.postings) {
      if (shapes.some((s) => term[0] === s.first && term.length >= s.minLength && term.length <= s.maxLength))
        out.set(term, p.docs.length);
    }
    return out;
  }

  search(query: string, limit: number, options: SearchOptions = {}, params: Bm25Params = BM25): LexicalHit[] {
    const scores = new Map<number, number>();
    for (const [term, qtf] of queryWeights(query, params.respell ? this : null)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      for (let i = 0; i < p.docs.length; i++) {
        const doc = p.docs[i]!;
        const tf = p.tfs[i]!;
        const norm = tf + params.k1 * (1 - params.b + (params.b * this.docs[doc]!.length) / this.avgdl);
        scores.set(doc, (scores.get(doc) ?? 0) + (qtf * idf * tf * (params.k1 + 1)) / norm);
      }
    }
    const keep = docFilter(options);
    return [...scores.entries()]
      .filter(([doc]) => keep(this.docs[doc]!))
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, limit)
      .map(([doc, score]) => ({ id: this.docs[doc]!.id, score }));
  }
}

function docFilter(options: SearchOptions): (d: DocInfo) => boolean {
  return (d) =>
    (!options.videoId || d.videoId === options.videoId) &&
    (!options.publishedAfter || (d.published !== null && d.published >= options.publishedAfter)) &&
    (!options.publishedBefore || (d.published !== null && d.published <= options.publishedBefore));
}

const cache = new WeakMap<object, { version: number; index: Promise<Bm25Index> }>();

/** The index for the store's current corpus version, built once per version per process. */
export async function bm25IndexFor(db: Queryable & object): Promise<Bm25Index> {
  const version = await corpusVersion(db);
  const hit = cache.get(db);
  if (hit && hit.version === version) return hit.index;
  const index = Bm25Index.load(db);
  cache.set(db, { version, index });
  index.catch(() => cache.delete(db));
  return index;
}

/**
 * Up to this many chunks the lexical side ranks in memory, above it in SQL: the same ranking
 * either way. Measured by bench/scale on PostgreSQL (2026-12-02, README "Performance"): at 5.6k
 * chunks the index is ~5x faster a query (p50 27 against 127 ms); at 100k SQL is 1.9x faster at p50
 * and 2.4x at p95 (230 / 490 against 443 / 1,180 ms), with no 93 s index load per corpus version
 * and no +0.9 GB RSS. Interpolated, the p95 curves cross near 22k chunks and the p50 ones near 35k.
 */
export const IN_MEMORY_MAX_CHUNKS = 25_000;

/** The in-memory index as a LexicalRanker. */
function memoryRanker(index: Bm25Index): LexicalRanker {
  return {
    kind: 'memory',
    size: index.size,
    search: async (query, limit, options, params) => index.search(query, limit, options, params),
    idfs: async () => (term) => index.idf(term),
    dfs: async (terms) => {
      const out = new Map<string, number>();
      for (const t of terms) if (index.df(t) > 0) out.set(t, index.df(t));
      return out;
    },
    shaped: async (shapes) => index.shaped(shapes),
  };
}

const rankers = new WeakMap<
  object,
  { version: number; maxInMemoryChunks: number; ranker: Promise<LexicalRanker> }
>();

/**
 * The lexical ranker for the store's current corpus: the in-memory index up to `maxInMemoryChunks`
 * chunks, BM25 in SQL above (both rank identically). `ask` reads its term statistics from the same
 * ranker, so above the threshold nothing loads the corpus's postings into the process.
 */
export async function lexicalRankerFor(
  db: Db,
  maxInMemoryChunks: number = IN_MEMORY_MAX_CHUNKS,
): Promise<LexicalRanker> {
  const version = await corpusVersion(db);
  const hit = rankers.get(db);
  if (hit && hit.version === version && hit.maxInMemoryChunks === maxInMemoryChunks) return hit.ranker;
  const ranker = (async (): Promise<LexicalRanker> => {
    const corpus = await bm25Corpus(db);
    if (corpus.chunks <= maxInMemoryChunks) return memoryRanker(await bm25IndexFor(db));
    return new SqlBm25(db, corpus);
  })();
  rankers.set(db, { version, maxInMemoryChunks, ranker });
  ranker.catch(() => rankers.delete(db));
  return ranker;
}

import type { Queryable } from '../store/db.ts';
import { corpusVersion } from '../store/videos.ts';
import { termFrequencies, terms } from '../text/tokenize.ts';
import type { SearchOptions } from '../types.ts';
import { BM25, type LexicalHit } from './lexical.ts';
import { respell } from './oov.ts';

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
 * CLI, evals) ranks the same way. Ranking in SQL gave the same order at ~350 ms a query on PGlite;
 * this takes a few ms.
 */
export class Bm25Index {
  private constructor(
    private readonly postings: Map<string, Posting>,
    private readonly docs: DocInfo[],
    private readonly avgdl: number,
  ) {}

  static async load(q: Queryable): Promise<Bm25Index> {
    const docsRes = await q.query<{
      id: string | number;
      video_id: string;
      published: string | Date | null;
      token_count: number;
    }>(
      'SELECT c.id, c.video_id, v.published, c.token_count FROM chunks c JOIN videos v ON v.video_id = c.video_id ORDER BY c.id',
    );
    const docs: DocInfo[] = docsRes.rows.map((r) => ({
      id: Number(r.id),
      videoId: r.video_id,
      published:
        r.published instanceof Date
          ? r.published.toISOString().slice(0, 10)
          : (r.published?.slice(0, 10) ?? null),
      length: r.token_count,
    }));
    const slot = new Map(docs.map((d, i) => [d.id, i]));
    const postings = new Map<string, Posting>();
    const rows = await q.query<{ chunk_id: string | number; term: string; tf: number }>(
      'SELECT chunk_id, term, tf FROM chunk_terms',
    );
    for (const r of rows.rows) {
      const doc = slot.get(Number(r.chunk_id));
      if (doc === undefined) continue;
      let p = postings.get(r.term);
      if (!p) {
        p = { docs: [], tfs: [] };
        postings.set(r.term, p);
      }
      p.docs.push(doc);
      p.tfs.push(r.tf);
    }
    const avgdl = docs.reduce((n, d) => n + d.length, 0) / Math.max(docs.length, 1) || 1;
    return new Bm25Index(postings, docs, avgdl);
  }

  get size(): number {
    return this.docs.length;
  }

  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.docs.length - df + 0.5) / (df + 0.5));
  }

  df(term: string): number {
    return this.postings.get(term)?.docs.length ?? 0;
  }

  terms(): Iterable<string> {
    return this.postings.keys();
  }

  search(
    query: string,
    limit: number,
    options: SearchOptions = {},
    params: { k1: number; b: number; respell: boolean } = BM25,
  ): LexicalHit[] {
    const scores = new Map<number, number>();
    const queryTerms = termFrequencies(terms(query));
    if (params.respell) {
      for (const [term, weight] of respell(queryTerms.keys(), this)) {
        queryTerms.set(term, (queryTerms.get(term) ?? 0) + weight);
      }
    }
    for (const [term, qtf] of queryTerms) {
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

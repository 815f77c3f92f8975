/**
 * The lexical side's SQL: BM25 postings (chunk_terms, with each chunk's length), their document
 * frequencies and corpus totals (bm25_terms, bm25_corpus, kept by migration 142's triggers), the
 * BM25 sum itself, and Postgres's ts_rank_cd for comparison.
 */

import { filterClause } from '../retrieve/filters.ts';
import type { SearchOptions } from '../types.ts';
import type { Db, Queryable } from './db.ts';

export interface ScoredChunk {
  id: number;
  score: number;
}

export interface Bm25Corpus {
  /** Chunks in the store (BM25's N). */
  chunks: number;
  /** Sum of the chunks' lengths in terms. */
  totalLength: number;
}

export async function bm25Corpus(q: Queryable): Promise<Bm25Corpus> {
  const res = await q.query<{ chunks: string | number; total_len: string | number }>(
    'SELECT chunks, total_len FROM bm25_corpus',
  );
  const row = res.rows[0];
  return { chunks: Number(row?.chunks ?? 0), totalLength: Number(row?.total_len ?? 0) };
}

/** Document frequencies of `terms`; terms no chunk holds are left out. */
export async function termDfs(q: Queryable, terms: readonly string[]): Promise<Map<string, number>> {
  if (terms.length === 0) return new Map();
  const res = await q.query<{ term: string; df: number }>(
    'SELECT term, df FROM bm25_terms WHERE term = ANY($1::text[]) AND df > 0',
    [[...new Set(terms)]],
  );
  return new Map(res.rows.map((r) => [r.term, Number(r.df)]));
}

/** Vocabulary terms (with df) that start with `first` and are `minLength`…`maxLength` long. */
export async function termsShaped(
  q: Queryable,
  first: string,
  minLength: number,
  maxLength: number,
): Promise<Map<string, number>> {
  const res = await q.query<{ term: string; df: number }>(
    `SELECT term, df FROM bm25_terms
     WHERE left(term, 1) = $1 AND length(term) BETWEEN $2 AND $3 AND df > 0`,
    [first, minLength, maxLength],
  );
  return new Map(res.rows.map((r) => [r.term, Number(r.df)]));
}

/** Vocabulary terms (with df) of any of the shapes: first letter and a length range each. */
export async function termsInShapes(
  q: Queryable,
  shapes: readonly { first: string; minLength: number; maxLength: number }[],
): Promise<Map<string, number>> {
  if (shapes.length === 0) return new Map();
  // One lookup per shape on bm25_terms_shape_idx (first letter, length).
  const res = await q.query<{ term: string; df: number }>(
    `SELECT DISTINCT t.term, t.df
     FROM unnest($1::text[], $2::int[], $3::int[]) AS s(first, lo, hi)
       CROSS JOIN LATERAL (
         SELECT term, df FROM bm25_terms
         WHERE left(term, 1) = s.first AND length(term) BETWEEN s.lo AND s.hi AND df > 0
       ) t`,
    [shapes.map((s) => s.first), shapes.map((s) => s.minLength), shapes.map((s) => s.maxLength)],
  );
  return new Map(res.rows.map((r) => [r.term, Number(r.df)]));
}

export interface Bm25SqlQuery {
  /** Query terms in the order the in-memory index adds them, each with qtf × idf. */
  terms: readonly { term: string; weight: number }[];
  k1: number;
  b: number;
  avgdl: number;
  limit: number;
}

/**
 * Okapi BM25 summed in SQL, term by term in the order given: a nested loop over the query terms
 * (the LATERAL … OFFSET 0 keeps it one), each reading its postings off the covering primary key,
 * into a hash aggregate (a sort would reorder a chunk's terms: enable_sort is off for the
 * grouping). Every chunk's sum therefore adds the same float8 values in the same order as
 * `Bm25Index.search`, so the scores are equal, not merely close. Filters keep the chunks of
 * `chunks c JOIN videos v` that pass, like the index's filter after scoring.
 */
export async function bm25Rank(
  db: Db,
  query: Bm25SqlQuery,
  options: SearchOptions = {},
): Promise<ScoredChunk[]> {
  if (query.terms.length === 0) return [];
  const filter = filterClause(options, 6);
  const where =
    filter.params.length === 0
      ? ''
      : `WHERE p.chunk_id IN (SELECT c.id FROM chunks c JOIN videos v ON v.video_id = c.video_id WHERE ${filter.sql})`;
  const res = await db.transaction(async (q) => {
    await q.query('SET LOCAL enable_sort = off');
    await q.query("SET LOCAL work_mem = '64MB'");
    // enable_sort off makes the plan look expensive: JIT-compiling it would cost seconds a query.
    if (db.kind === 'postgres') await q.query('SET LOCAL jit = off');
    return q.query<{ id: string | number; score: number }>(
      `SELECT p.chunk_id AS id,
       sum(w.weight * p.tf * ($3::float8 + 1)
           / (p.tf + $3::float8 * (1 - $4::float8 + $4::float8 * p.doc_len / $5::float8))) AS score
     FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS w(term, weight, ord)
       CROSS JOIN LATERAL (
         SELECT ct.chunk_id, ct.tf, ct.doc_len FROM chunk_terms ct WHERE ct.term = w.term OFFSET 0
       ) p
     ${where}
     GROUP BY p.chunk_id
     ORDER BY score DESC, p.chunk_id
     LIMIT $6`,
      [
        query.terms.map((t) => t.term),
        query.terms.map((t) => t.weight),
        query.k1,
        query.b,
        query.avgdl,
        query.limit,
        ...filter.params,
      ],
    );
  });
  return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

export interface ChunkLength {
  id: number;
  videoId: string;
  published: string | Date | null;
  length: number;
}

/** Every chunk with its video's date and its length, by id (the in-memory index's documents). */
export async function chunkLengths(q: Queryable): Promise<ChunkLength[]> {
  const res = await q.query<{
    id: string | number;
    video_id: string;
    published: string | Date | null;
    token_count: number;
  }>(
    'SELECT c.id, c.video_id, v.published, c.token_count FROM chunks c JOIN videos v ON v.video_id = c.video_id ORDER BY c.id',
  );
  return res.rows.map((r) => ({
    id: Number(r.id),
    videoId: r.video_id,
    published: r.published,
    length: r.token_count,
  }));
}

/** Every posting, to `visit` one at a time (the in-memory index's load). */
export async function allPostings(
  q: Queryable,
  visit: (chunkId: number, term: string, tf: number) => void,
): Promise<void> {
  const rows = await q.query<{ chunk_id: string | number; term: string; tf: number }>(
    'SELECT chunk_id, term, tf FROM chunk_terms',
  );
  for (const r of rows.rows) visit(Number(r.chunk_id), r.term, r.tf);
}

/** Postgres's own ranking (prefix matches of the words), kept to measure against BM25. */
export async function tsRank(
  q: Queryable,
  words: readonly string[],
  limit: number,
  options: SearchOptions = {},
): Promise<ScoredChunk[]> {
  if (words.length === 0) return [];
  const filter = filterClause(options, 2);
  const res = await q.query<{ id: string | number; score: number }>(
    `WITH query AS (SELECT to_tsquery('english', string_agg(quote_literal(w) || ':*', ' | ')) AS tsq
                    FROM unnest($1::text[]) AS w)
     SELECT c.id, ts_rank_cd(c.tsv, query.tsq, 1) AS score
     FROM chunks c JOIN videos v ON v.video_id = c.video_id, query
     WHERE c.tsv @@ query.tsq AND ${filter.sql}
     ORDER BY score DESC, c.id LIMIT $2`,
    [[...words], limit, ...filter.params],
  );
  return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

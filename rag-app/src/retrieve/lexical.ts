import type { Queryable } from '../store/db.ts';
import { termFrequencies, terms } from '../text/tokenize.ts';
import type { SearchOptions } from '../types.ts';
import { filterClause } from './filters.ts';

export interface LexicalHit {
  id: number;
  score: number;
}

/** Okapi BM25 parameters; b < 0.75 because chunks have near-equal durations already. */
export const BM25 = { k1: 1.2, b: 0.5, respell: true };

/**
 * BM25 over the chunk_terms postings, computed in SQL so it holds across processes and needs no
 * in-memory index. idf = ln(1 + (N − df + 0.5) / (df + 0.5)).
 */
export async function bm25Search(
  q: Queryable,
  query: string,
  limit: number,
  options: SearchOptions = {},
): Promise<LexicalHit[]> {
  const tf = termFrequencies(terms(query));
  if (tf.size === 0) return [];
  const filter = filterClause(options, 5);
  const res = await q.query<{ id: string | number; score: number }>(
    `WITH q AS (SELECT * FROM unnest($1::text[], $2::real[]) AS q(term, qtf)),
     stats AS (SELECT count(*)::real AS n, greatest(avg(token_count), 1)::real AS avgdl FROM chunks),
     df AS (SELECT ct.term, count(*)::real AS df FROM chunk_terms ct JOIN q ON q.term = ct.term GROUP BY ct.term)
     SELECT c.id, sum(q.qtf * ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                * ct.tf * ($3::real + 1) / (ct.tf + $3::real * (1 - $4::real + $4::real * c.token_count / s.avgdl)))::real AS score
     FROM chunk_terms ct
       JOIN q ON q.term = ct.term
       JOIN df ON df.term = ct.term
       JOIN chunks c ON c.id = ct.chunk_id
       JOIN videos v ON v.video_id = c.video_id
       CROSS JOIN stats s
     WHERE ${filter.sql}
     GROUP BY c.id
     ORDER BY score DESC, c.id
     LIMIT $5`,
    [[...tf.keys()], [...tf.values()], BM25.k1, BM25.b, limit, ...filter.params],
  );
  return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

/** Postgres's own ranking, kept to measure against BM25 (see README "Tuning"). */
export async function tsRankSearch(
  q: Queryable,
  query: string,
  limit: number,
  options: SearchOptions = {},
): Promise<LexicalHit[]> {
  const words = terms(query);
  if (words.length === 0) return [];
  const filter = filterClause(options, 2);
  const res = await q.query<{ id: string | number; score: number }>(
    `WITH query AS (SELECT to_tsquery('english', string_agg(quote_literal(w) || ':*', ' | ')) AS tsq
                    FROM unnest($1::text[]) AS w)
     SELECT c.id, ts_rank_cd(c.tsv, query.tsq, 1) AS score
     FROM chunks c JOIN videos v ON v.video_id = c.video_id, query
     WHERE c.tsv @@ query.tsq AND ${filter.sql}
     ORDER BY score DESC, c.id LIMIT $2`,
    [words, limit, ...filter.params],
  );
  return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

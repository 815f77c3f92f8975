import type { Queryable } from '../store/db.ts';
import { terms } from '../text/tokenize.ts';
import type { SearchOptions } from '../types.ts';
import { filterClause } from './filters.ts';

export interface LexicalHit {
  id: number;
  score: number;
}

/** Okapi BM25 parameters; b < 0.75 because chunks have near-equal durations already. */
export const BM25 = { k1: 1.2, b: 0.5, respell: true };

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

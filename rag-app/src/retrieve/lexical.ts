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

/**
 * The same Okapi BM25 as the in-memory index (no respelling), ranked in SQL over chunk_terms: no
 * index to hold in the process, so it works where loading every posting does not (see the
 * README's "Performance": the in-memory load grows with the postings). Needs chunk_terms' primary
 * key (term, chunk_id) to reach a term's postings.
 */
export async function bm25SqlSearch(
  q: Queryable,
  query: string,
  limit: number,
  options: SearchOptions = {},
  /** Chunk count and mean length when the caller keeps them; otherwise read per query. */
  stats?: CorpusStats,
): Promise<LexicalHit[]> {
  const tf = termFrequencies(terms(query));
  if (tf.size === 0) return [];
  const filter = filterClause(options, 7);
  const { n, avgdl } = stats ?? (await corpusStats(q));
  const res = await q.query<{ id: string | number; score: number }>(
    `WITH q AS (SELECT * FROM unnest($1::text[], $2::real[]) AS q(term, qtf)),
     stats AS (SELECT $6::real AS n, $7::real AS avgdl),
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
    [[...tf.keys()], [...tf.values()], BM25.k1, BM25.b, limit, n, avgdl, ...filter.params],
  );
  return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

export interface CorpusStats {
  n: number;
  avgdl: number;
}

/** What BM25 needs of the whole corpus: the chunk count and mean chunk length in terms. */
export async function corpusStats(q: Queryable): Promise<CorpusStats> {
  const res = await q.query<{ n: string | number; avgdl: number | null }>(
    'SELECT count(*) AS n, avg(token_count)::real AS avgdl FROM chunks',
  );
  return { n: Number(res.rows[0]?.n ?? 0), avgdl: Math.max(1, Number(res.rows[0]?.avgdl ?? 1)) };
}

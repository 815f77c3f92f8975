import { toVectorSql } from '../store/chunks.ts';
import type { Db } from '../store/db.ts';
import type { SearchOptions } from '../types.ts';
import { filterClause, hasFilter } from './filters.ts';

export interface VectorHit {
  id: number;
  /** Cosine similarity. */
  score: number;
}

/** The HNSW index is on `embedding::vector(dim)`, so vectors of one space share one typed index. */
export function hnswIndexSql(dim: number): string {
  return `CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw_${dim} ON chunks
    USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WITH (m = 16, ef_construction = 64)`;
}

export async function vectorSearch(
  db: Db,
  queryVector: readonly number[],
  limit: number,
  options: SearchOptions = {},
): Promise<VectorHit[]> {
  const dim = queryVector.length;
  const filter = filterClause(options, 2);
  const sql = `SELECT c.id, 1 - (c.embedding::vector(${dim}) <=> $1::vector(${dim})) AS score
     FROM chunks c JOIN videos v ON v.video_id = c.video_id
     WHERE c.embedding IS NOT NULL AND ${filter.sql}
     ORDER BY c.embedding::vector(${dim}) <=> $1::vector(${dim}) LIMIT $2`;
  const params = [toVectorSql(queryVector), limit, ...filter.params];
  return db.transaction(async (tx) => {
    // ef_search must cover the limit; with a filter, keep scanning the graph until enough rows pass.
    await tx.query(`SET LOCAL hnsw.ef_search = ${Math.max(40, Math.min(1000, limit * 2))}`);
    if (hasFilter(options)) await tx.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    const res = await tx.query<{ id: string | number; score: number }>(sql, params);
    return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
  });
}

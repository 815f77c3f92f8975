/**
 * The vector side's SQL: the HNSW index (pgvector, cosine) and nearest-chunk queries over
 * `chunks.embedding`, through the index or by an exact scan.
 */
import { filterClause, hasFilter } from '../retrieve/filters.ts';
import type { SearchOptions } from '../types.ts';
import { toVectorSql } from './chunks.ts';
import type { Db, Queryable } from './db.ts';

/** The HNSW index is on `embedding::vector(dim)`, so vectors of one space share one typed index. */
export function hnswIndexSql(dim: number): string {
  return `CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw_${dim} ON chunks
    USING hnsw ((embedding::vector(${dim})) vector_cosine_ops) WITH (m = 16, ef_construction = 64)`;
}

/** Builds the HNSW index for `dim`-dimensional vectors (a no-op when it exists). */
export async function createHnswIndex(q: Queryable, dim: number): Promise<void> {
  await q.query(hnswIndexSql(dim));
}

export async function dropHnswIndex(q: Queryable, dim: number): Promise<void> {
  await q.query(`DROP INDEX IF EXISTS chunks_embedding_hnsw_${dim}`);
}

/** Drops every HNSW index on this store's chunks (any dimension): before the vectors are rewritten. */
export async function dropHnswIndexes(q: Queryable): Promise<void> {
  // The indexes of this store's chunks table (another schema of the same server has its own).
  const indexes = await q.query<{ indexname: string }>(
    `SELECT i.relname AS indexname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = 'chunks'::regclass AND i.relname LIKE 'chunks_embedding_hnsw_%'`,
  );
  for (const { indexname } of indexes.rows) await q.query(`DROP INDEX ${indexname}`);
}

export interface NearestChunk {
  id: number;
  /** Cosine similarity. */
  score: number;
}

export interface NearestOptions {
  /** HNSW candidates list (pgvector's hnsw.ef_search). */
  efSearch: number;
  /** Exact scan instead of the index (the reference for recall). */
  exact?: boolean;
}

/**
 * The `limit` chunks nearest to `vector` by cosine distance, among those passing `options`' filters.
 * Through HNSW with `ef_search`; with a filter the scan goes on until enough rows pass
 * (`hnsw.iterative_scan`).
 */
export async function nearestChunks(
  db: Db,
  vector: readonly number[],
  limit: number,
  options: SearchOptions,
  how: NearestOptions,
): Promise<NearestChunk[]> {
  const dim = vector.length;
  const filter = filterClause(options, 2);
  const sql = `SELECT c.id, 1 - (c.embedding::vector(${dim}) <=> $1::vector(${dim})) AS score
     FROM chunks c JOIN videos v ON v.video_id = c.video_id
     WHERE c.embedding IS NOT NULL AND ${filter.sql}
     ORDER BY c.embedding::vector(${dim}) <=> $1::vector(${dim}) LIMIT $2`;
  const params = [toVectorSql(vector), limit, ...filter.params];
  const ef = Math.trunc(how.efSearch);
  if (!(ef >= 1 && ef <= 1000)) throw new RangeError(`ef_search must be 1…1000, got ${how.efSearch}`);
  return db.transaction(async (tx) => {
    if (how.exact) await tx.query('SET LOCAL enable_indexscan = off');
    await tx.query(`SET LOCAL hnsw.ef_search = ${ef}`);
    if (hasFilter(options)) await tx.query('SET LOCAL hnsw.iterative_scan = relaxed_order');
    const res = await tx.query<{ id: string | number; score: number }>(sql, params);
    return res.rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
  });
}

/** Clears every stored vector (a new embedding space), dropping the indexes over them first. */
export async function clearEmbeddings(q: Queryable): Promise<void> {
  await dropHnswIndexes(q);
  await q.query('UPDATE chunks SET embedding = NULL WHERE embedding IS NOT NULL');
}

/**
 * Sets the vectors of the chunks given by id (null clears one); with `onlyMissing`, only where the
 * chunk has none yet (a vector written meanwhile is kept).
 */
export async function setEmbeddings(
  q: Queryable,
  rows: readonly { id: number; embedding: readonly number[] | null }[],
  { onlyMissing = false }: { onlyMissing?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `UPDATE chunks c SET embedding = x.embedding::vector
     FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, embedding text)
     WHERE c.id = x.id${onlyMissing ? ' AND c.embedding IS NULL' : ''}`,
    [
      JSON.stringify(
        rows.map((r) => ({ id: r.id, embedding: r.embedding ? toVectorSql(r.embedding) : null })),
      ),
    ],
  );
}

export async function countMissingEmbeddings(q: Queryable): Promise<number> {
  const res = await q.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL',
  );
  return Number(res.rows[0]?.n ?? 0);
}

/** Chunks without a vector after `afterId`, by id, `limit` at a time. */
export async function chunksMissingEmbeddings(
  q: Queryable,
  afterId: number,
  limit: number,
): Promise<{ id: number; text: string }[]> {
  const res = await q.query<{ id: string | number; text: string }>(
    'SELECT id, text FROM chunks WHERE embedding IS NULL AND id > $1 ORDER BY id LIMIT $2',
    [afterId, limit],
  );
  return res.rows.map((r) => ({ id: Number(r.id), text: r.text }));
}

import type { Db } from '../store/db.ts';
import { nearestChunks } from '../store/vectors.ts';
import type { SearchOptions } from '../types.ts';

export interface VectorHit {
  id: number;
  /** Cosine similarity. */
  score: number;
}

/** HNSW's candidate list for `limit` results: it must cover the limit (pgvector's default is 40). */
export function efSearchFor(limit: number): number {
  return Math.max(40, Math.min(1000, limit * 2));
}

export async function vectorSearch(
  db: Db,
  queryVector: readonly number[],
  limit: number,
  options: SearchOptions = {},
): Promise<VectorHit[]> {
  return nearestChunks(db, queryVector, limit, options, { efSearch: efSearchFor(limit) });
}

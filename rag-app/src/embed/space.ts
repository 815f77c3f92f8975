import { EmbeddingMismatchError } from '../errors.ts';
import type { Db, Queryable } from '../store/db.ts';

export interface EmbeddingSpace {
  provider: string;
  model: string;
  dim: number;
}

export async function readSpace(q: Queryable): Promise<EmbeddingSpace | null> {
  const res = await q.query<EmbeddingSpace>('SELECT provider, model, dim FROM embedding_space');
  return res.rows[0] ?? null;
}

export async function writeSpace(q: Queryable, space: EmbeddingSpace): Promise<void> {
  await q.query(
    `INSERT INTO embedding_space (singleton, provider, model, dim) VALUES (true, $1, $2, $3)
     ON CONFLICT (singleton) DO UPDATE SET provider = $1, model = $2, dim = $3, updated_at = now()`,
    [space.provider, space.model, space.dim],
  );
}

/** A store holds vectors of exactly one space; anything else would return garbage neighbours. */
export function assertSameSpace(stored: EmbeddingSpace | null, wanted: EmbeddingSpace): void {
  if (!stored) return;
  if (stored.provider !== wanted.provider || stored.model !== wanted.model || stored.dim !== wanted.dim) {
    throw new EmbeddingMismatchError(
      `the store's vectors are ${stored.provider}/${stored.model} (dim ${stored.dim}) but the configured embedder is ${wanted.provider}/${wanted.model} (dim ${wanted.dim}): run \`pnpm rag reindex\` or set EMBEDDER back`,
      { stored, wanted },
    );
  }
}

/** Forgets the store's embedding space: vectors, fitted models and their HNSW indexes. */
export async function clearVectors(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const indexes = await tx.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'chunks_embedding_hnsw_%'",
    );
    for (const { indexname } of indexes.rows) await tx.query(`DROP INDEX ${indexname}`);
    await tx.query('UPDATE chunks SET embedding = NULL WHERE embedding IS NOT NULL');
    await tx.query('DELETE FROM embedding_space');
    await tx.query('DELETE FROM embedding_models');
  });
}

import { EmbeddingMismatchError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { clearSpaceAndModels, type EmbeddingSpace } from '../store/embeddings.ts';
import { clearEmbeddings } from '../store/vectors.ts';

export { type EmbeddingSpace, readSpace, writeSpace } from '../store/embeddings.ts';

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
    await clearEmbeddings(tx);
    await clearSpaceAndModels(tx);
  });
}

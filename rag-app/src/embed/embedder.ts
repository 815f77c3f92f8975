import type { IndexedChunk } from '../store/chunks.ts';
import type { Db } from '../store/db.ts';

/**
 * Turns text into vectors in one space. `provider`/`model`/`dim` are recorded with the vectors
 * (table embedding_space) so that querying with another space is a clear error.
 */
export interface Embedder {
  readonly provider: string;
  readonly model: string;
  /** Dimension; null until a corpus-fitted model exists. */
  dim(): number | null;
  /** Vectors for chunks about to be written; null entries are filled in later by `afterIngest`. */
  embedChunks(chunks: readonly IndexedChunk[]): Promise<(number[] | null)[]>;
  /** The query's vector, or null when the embedder has no model yet (empty store). */
  embedQuery(db: Db, text: string): Promise<number[] | null>;
  /** Corpus-fitted embedders refit and re-embed every chunk here, after content changed. */
  afterIngest?(db: Db, onProgress?: (message: string) => void): Promise<void>;
}

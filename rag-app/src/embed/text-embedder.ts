import type { IndexedChunk } from '../store/chunks.ts';
import type { Db, Queryable } from '../store/db.ts';
import {
  chunksMissingEmbeddings,
  countMissingEmbeddings,
  createHnswIndex,
  setEmbeddings,
} from '../store/vectors.ts';
import type { Embedder } from './embedder.ts';
import { assertSameSpace, type EmbeddingSpace, readSpace, writeSpace } from './space.ts';

/**
 * What every embedder of a fixed model shares (a hosted endpoint, a local model): the store's
 * embedding space is checked before vectors are used or written, chunks stored without a vector are
 * filled in after an ingest, and the space is recorded with its HNSW index. Subclasses only turn
 * texts into unit vectors and set `dimension` when they learn it.
 */
export abstract class TextEmbedder implements Embedder {
  abstract readonly provider: string;
  abstract readonly model: string;
  protected dimension: number | null = null;

  /** `db`, when given, lets `embedChunks` refuse a mismatched store before anything is written. */
  constructor(
    private readonly db: Queryable | undefined,
    /** Chunks read per round when filling in missing vectors. */
    private readonly pageSize: number,
  ) {}

  /** Unit vectors for texts, in order. */
  abstract embedTexts(texts: readonly string[]): Promise<number[][]>;

  dim(): number | null {
    return this.dimension;
  }

  async embedChunks(chunks: readonly IndexedChunk[]): Promise<(number[] | null)[]> {
    if (chunks.length === 0) return [];
    if (this.db) await this.checkStore(this.db);
    const known = this.dimension;
    const vectors = await this.embedTexts(chunks.map((c) => c.text));
    if (this.db && known === null) await this.checkStore(this.db);
    return vectors;
  }

  async embedQuery(db: Db, text: string): Promise<number[] | null> {
    // No recorded space means no vectors to compare with: skip the work.
    if (!(await this.checkStore(db))) return null;
    const [vector] = await this.embedTexts([text]);
    await this.checkStore(db);
    return vector ?? null;
  }

  /** Embeds chunks stored without a vector, then records the space and makes sure its HNSW index exists. */
  async afterIngest(db: Db, onProgress?: (message: string) => void): Promise<void> {
    await this.checkStore(db);
    const total = await countMissingEmbeddings(db);
    if (total > 0) {
      onProgress?.(`embedding ${total} chunks without a vector (${this.model})`);
      let lastId = 0;
      let done = 0;
      for (;;) {
        // Keyset paging by id ends even if a row keeps its NULL (e.g. deleted and re-added meanwhile).
        const page = await chunksMissingEmbeddings(db, lastId, this.pageSize);
        if (page.length === 0) break;
        const vectors = await this.embedTexts(page.map((r) => r.text));
        await this.checkStore(db);
        const rows = page.map((r, i) => ({ id: r.id, embedding: vectors[i]! }));
        await setEmbeddings(db, rows, { onlyMissing: true });
        lastId = rows[rows.length - 1]!.id;
        done += rows.length;
        onProgress?.(`embedded ${done}/${total} chunks`);
      }
    }
    const dim = this.dimension;
    // Nothing was embedded by this process (e.g. a removal): there is no space to record.
    if (dim === null) return;
    await db.transaction(async (tx) => {
      assertSameSpace(await readSpace(tx), this.space(dim));
      await writeSpace(tx, this.space(dim));
      await createHnswIndex(tx, dim);
    });
  }

  private space(dim: number): EmbeddingSpace {
    return { provider: this.provider, model: this.model, dim };
  }

  /** Throws EmbeddingMismatchError when the store holds another space; returns the stored space. */
  private async checkStore(q: Queryable): Promise<EmbeddingSpace | null> {
    const stored = await readSpace(q);
    // Before the first call the dimension is unknown: provider and model can still be compared.
    if (stored) assertSameSpace(stored, this.space(this.dimension ?? stored.dim));
    return stored;
  }
}

import type { IndexedChunk } from '../store/chunks.ts';
import type { Db, Queryable } from '../store/db.ts';
import { modelVersion, readModel, termFrequenciesByChunk, writeModel } from '../store/embeddings.ts';
import { clearEmbeddings, createHnswIndex, setEmbeddings } from '../store/vectors.ts';
import { corpusVersion } from '../store/videos.ts';
import { termFrequencies, terms } from '../text/tokenize.ts';
import type { Embedder } from './embedder.ts';
import { DEFAULT_LSA, fitLsa, type LsaFitOptions, type LsaModel, project } from './lsa.ts';
import { assertSameSpace, readSpace, writeSpace } from './space.ts';

const PROVIDER = 'lsa';
const MODEL = 'lsa-tfidf-v1';
const UPDATE_BATCH = 500;

/** The JSON part of the stored model (the projection is the weights' bytes). */
interface StoredLsa {
  vocab: string[];
  idf: number[];
  dim: number;
}

/**
 * The offline dense signal: LSA fitted on the ingested corpus itself, refitted after each ingest
 * that changes content. Needs no network, no key and no model download.
 */
export class LsaEmbedder implements Embedder {
  readonly provider = PROVIDER;
  readonly model = MODEL;
  private current: { model: LsaModel; version: number } | null = null;

  constructor(private readonly options: LsaFitOptions = DEFAULT_LSA) {}

  dim(): number | null {
    return this.current?.model.dim ?? null;
  }

  async embedChunks(chunks: readonly IndexedChunk[]): Promise<(number[] | null)[]> {
    const model = this.current?.model;
    // Fold new chunks into the current space; the refit after the ingest recomputes them anyway.
    return chunks.map((c) => (model ? project(model, c.termFreqs) : null));
  }

  async embedQuery(db: Db, text: string): Promise<number[] | null> {
    const model = await this.load(db);
    return model ? project(model, termFrequencies(terms(text))) : null;
  }

  /** Loads the stored model when the store has a newer one than this process holds. */
  async load(db: Queryable): Promise<LsaModel | null> {
    const stored = await modelVersion(db, PROVIDER);
    if (stored === null) return null;
    if (this.current && this.current.version === stored) return this.current.model;
    const row = await readModel(db, PROVIDER);
    if (!row) return null;
    const lsa = row.model as StoredLsa;
    assertSameSpace(await readSpace(db), { provider: PROVIDER, model: MODEL, dim: lsa.dim });
    const bytes = row.weights;
    const projection = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const model: LsaModel = {
      vocab: new Map(lsa.vocab.map((t, i) => [t, i])),
      idf: Float64Array.from(lsa.idf),
      dim: lsa.dim,
      projection,
    };
    this.current = { model, version: row.corpusVersion };
    return model;
  }

  async afterIngest(db: Db, onProgress?: (message: string) => void): Promise<void> {
    const space = await readSpace(db);
    if (space && space.provider !== PROVIDER) {
      assertSameSpace(space, { provider: PROVIDER, model: MODEL, dim: space.dim });
    }
    onProgress?.('fitting the LSA model on the corpus');
    const version = await corpusVersion(db);
    const docs = await termFrequenciesByChunk(db);
    if (docs.size < 3) return;
    const ids = [...docs.keys()];
    const model = fitLsa(
      ids.map((id) => docs.get(id)!),
      this.options,
    );
    onProgress?.(`embedding ${ids.length} chunks (dim ${model.dim})`);
    const vectors = ids.map((id) => project(model, docs.get(id)!));
    await db.transaction(async (tx) => {
      // Rebuilding the index once is far cheaper than updating it row by row.
      await clearEmbeddings(tx);
      for (let i = 0; i < ids.length; i += UPDATE_BATCH) {
        await setEmbeddings(
          tx,
          ids.slice(i, i + UPDATE_BATCH).map((id, j) => ({ id, embedding: vectors[i + j] ?? null })),
        );
      }
      await createHnswIndex(tx, model.dim);
      await writeSpace(tx, { provider: PROVIDER, model: MODEL, dim: model.dim });
      const json: StoredLsa = { vocab: [...model.vocab.keys()], idf: Array.from(model.idf), dim: model.dim };
      await writeModel(tx, PROVIDER, {
        json,
        weights: Buffer.from(
          model.projection.buffer,
          model.projection.byteOffset,
          model.projection.byteLength,
        ),
        corpusVersion: version,
      });
    });
    this.current = { model, version };
  }
}

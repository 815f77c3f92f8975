import { hnswIndexSql } from '../retrieve/vector.ts';
import type { IndexedChunk } from '../store/chunks.ts';
import { toVectorSql } from '../store/chunks.ts';
import type { Db, Queryable } from '../store/db.ts';
import { corpusVersion } from '../store/videos.ts';
import { termFrequencies, terms } from '../text/tokenize.ts';
import type { Embedder } from './embedder.ts';
import { DEFAULT_LSA, fitLsa, type LsaFitOptions, type LsaModel, project } from './lsa.ts';
import { assertSameSpace, readSpace, writeSpace } from './space.ts';

const PROVIDER = 'lsa';
const MODEL = 'lsa-tfidf-v1';
const UPDATE_BATCH = 500;

interface StoredModel {
  model: { vocab: string[]; idf: number[]; dim: number };
  weights: Uint8Array;
  corpus_version: string | number;
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
    const version = await db.query<{ corpus_version: string | number }>(
      'SELECT corpus_version FROM embedding_models WHERE provider = $1',
      [PROVIDER],
    );
    const stored = version.rows[0];
    if (!stored) return null;
    if (this.current && this.current.version === Number(stored.corpus_version)) return this.current.model;
    const res = await db.query<StoredModel>(
      'SELECT model, weights, corpus_version FROM embedding_models WHERE provider = $1',
      [PROVIDER],
    );
    const row = res.rows[0];
    if (!row) return null;
    assertSameSpace(await readSpace(db), { provider: PROVIDER, model: MODEL, dim: row.model.dim });
    const bytes = row.weights;
    const projection = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const model: LsaModel = {
      vocab: new Map(row.model.vocab.map((t, i) => [t, i])),
      idf: Float64Array.from(row.model.idf),
      dim: row.model.dim,
      projection,
    };
    this.current = { model, version: Number(row.corpus_version) };
    return model;
  }

  async afterIngest(db: Db, onProgress?: (message: string) => void): Promise<void> {
    const space = await readSpace(db);
    if (space && space.provider !== PROVIDER) {
      assertSameSpace(space, { provider: PROVIDER, model: MODEL, dim: space.dim });
    }
    onProgress?.('fitting the LSA model on the corpus');
    const version = await corpusVersion(db);
    const postings = await db.query<{ chunk_id: string | number; term: string; tf: number }>(
      'SELECT chunk_id, term, tf FROM chunk_terms ORDER BY chunk_id',
    );
    const docs = new Map<number, Map<string, number>>();
    for (const p of postings.rows) {
      const id = Number(p.chunk_id);
      let d = docs.get(id);
      if (!d) {
        d = new Map();
        docs.set(id, d);
      }
      d.set(p.term, p.tf);
    }
    if (docs.size < 3) return;
    const ids = [...docs.keys()];
    const model = fitLsa(
      ids.map((id) => docs.get(id)!),
      this.options,
    );
    onProgress?.(`embedding ${ids.length} chunks (dim ${model.dim})`);
    const vectors = ids.map((id) => project(model, docs.get(id)!));
    await db.transaction(async (tx) => {
      const indexes = await tx.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'chunks_embedding_hnsw_%'",
      );
      // Rebuilding the index once is far cheaper than updating it row by row.
      for (const { indexname } of indexes.rows) await tx.query(`DROP INDEX ${indexname}`);
      await tx.query('UPDATE chunks SET embedding = NULL');
      for (let i = 0; i < ids.length; i += UPDATE_BATCH) {
        const batch = ids.slice(i, i + UPDATE_BATCH).map((id, j) => {
          const v = vectors[i + j];
          return { id, embedding: v ? toVectorSql(v) : null };
        });
        await tx.query(
          `UPDATE chunks c SET embedding = x.embedding::vector
           FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, embedding text) WHERE c.id = x.id`,
          [JSON.stringify(batch)],
        );
      }
      await tx.query(hnswIndexSql(model.dim));
      await writeSpace(tx, { provider: PROVIDER, model: MODEL, dim: model.dim });
      await tx.query(
        `INSERT INTO embedding_models (provider, model, weights, corpus_version) VALUES ($1, $2::jsonb, $3, $4)
         ON CONFLICT (provider) DO UPDATE SET model = EXCLUDED.model, weights = EXCLUDED.weights,
           corpus_version = EXCLUDED.corpus_version, fitted_at = now()`,
        [
          PROVIDER,
          JSON.stringify({ vocab: [...model.vocab.keys()], idf: Array.from(model.idf), dim: model.dim }),
          Buffer.from(model.projection.buffer, model.projection.byteOffset, model.projection.byteLength),
          version,
        ],
      );
    });
    this.current = { model, version };
  }
}

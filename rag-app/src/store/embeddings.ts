/**
 * The embedding side's own tables: the one embedding space the stored vectors live in
 * (embedding_space) and the models fitted on the corpus (embedding_models, e.g. LSA's projection).
 */
import type { Queryable } from './db.ts';

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

/** Forgets the recorded space and every fitted model (the vectors go with store/vectors.ts). */
export async function clearSpaceAndModels(q: Queryable): Promise<void> {
  await q.query('DELETE FROM embedding_space');
  await q.query('DELETE FROM embedding_models');
}

export interface StoredModel {
  /** The model's JSON part (vocabulary, weights' shape…), as the provider wrote it. */
  model: unknown;
  weights: Uint8Array;
  corpusVersion: number;
}

/** The corpus version `provider`'s stored model was fitted on, or null when there is none. */
export async function modelVersion(q: Queryable, provider: string): Promise<number | null> {
  const res = await q.query<{ corpus_version: string | number }>(
    'SELECT corpus_version FROM embedding_models WHERE provider = $1',
    [provider],
  );
  const row = res.rows[0];
  return row ? Number(row.corpus_version) : null;
}

export async function readModel(q: Queryable, provider: string): Promise<StoredModel | null> {
  const res = await q.query<{ model: unknown; weights: Uint8Array; corpus_version: string | number }>(
    'SELECT model, weights, corpus_version FROM embedding_models WHERE provider = $1',
    [provider],
  );
  const row = res.rows[0];
  return row ? { model: row.model, weights: row.weights, corpusVersion: Number(row.corpus_version) } : null;
}

export async function writeModel(
  q: Queryable,
  provider: string,
  model: { json: unknown; weights: Buffer; corpusVersion: number },
): Promise<void> {
  await q.query(
    `INSERT INTO embedding_models (provider, model, weights, corpus_version) VALUES ($1, $2::jsonb, $3, $4)
     ON CONFLICT (provider) DO UPDATE SET model = EXCLUDED.model, weights = EXCLUDED.weights,
       corpus_version = EXCLUDED.corpus_version, fitted_at = now()`,
    [provider, JSON.stringify(model.json), model.weights, model.corpusVersion],
  );
}

/** Every chunk's term frequencies (its BM25 postings), by chunk id: what a corpus model is fitted on. */
export async function termFrequenciesByChunk(q: Queryable): Promise<Map<number, Map<string, number>>> {
  const postings = await q.query<{ chunk_id: string | number; term: string; tf: number }>(
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
  return docs;
}

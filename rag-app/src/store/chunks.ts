import pgvector from 'pgvector';
import { StoreError } from '../errors.ts';
import type { Chunk, Segment } from '../types.ts';
import type { Queryable } from './db.ts';

export interface IndexedChunk extends Chunk {
  /** Index terms with their frequency in the chunk (BM25 postings). */
  termFreqs: Map<string, number>;
  tokenCount: number;
  /** Vector in the store's embedding space, or null when it is computed after the write (fitted models). */
  embedding: number[] | null;
}

/**
 * A vector as a query parameter, in pgvector's text form (`pgvector.toSql`, for node-postgres and
 * PGlite alike). A component that is not a finite number is an error: storing 0 instead would
 * silently move the chunk in the vector space.
 */
export function toVectorSql(v: readonly number[]): string {
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0)
    throw new StoreError(`vector component ${bad} of ${v.length} is ${v[bad]}, not a finite number`, {
      index: bad,
      dim: v.length,
    });
  return pgvector.toSql([...v]) as string;
}

/**
 * Replaces every chunk of a video (and their postings). Call inside a transaction. The postings go
 * first in one statement: one pass of migration 142's df trigger instead of one per chunk (cascade).
 */
export async function replaceChunks(
  q: Queryable,
  videoId: string,
  chunks: readonly IndexedChunk[],
): Promise<void> {
  await q.query('DELETE FROM chunk_terms WHERE chunk_id IN (SELECT id FROM chunks WHERE video_id = $1)', [
    videoId,
  ]);
  await q.query('DELETE FROM chunks WHERE video_id = $1', [videoId]);
  if (chunks.length === 0) return;
  const rows = chunks.map((c) => ({
    ordinal: c.ordinal,
    start_sec: c.start,
    end_sec: c.end,
    text: c.text,
    segments: c.segments,
    token_count: c.tokenCount,
    embedding: c.embedding ? toVectorSql(c.embedding) : null,
  }));
  const inserted = await q.query<{ id: string | number; ordinal: number }>(
    `INSERT INTO chunks (video_id, ordinal, start_sec, end_sec, text, segments, token_count, embedding)
     SELECT $1, x.ordinal, x.start_sec, x.end_sec, x.text, x.segments, x.token_count, x.embedding::vector
     FROM jsonb_to_recordset($2::jsonb) AS x(ordinal int, start_sec real, end_sec real, text text,
       segments jsonb, token_count int, embedding text)
     RETURNING id, ordinal`,
    [videoId, JSON.stringify(rows)],
  );
  const idByOrdinal = new Map(inserted.rows.map((r) => [r.ordinal, Number(r.id)]));
  const postings: [number, string, number, number][] = [];
  for (const c of chunks) {
    const id = idByOrdinal.get(c.ordinal)!;
    for (const [term, tf] of c.termFreqs) postings.push([id, term, tf, c.tokenCount]);
  }
  await q.query(
    `INSERT INTO chunk_terms (chunk_id, term, tf, doc_len)
     SELECT (p->>0)::bigint, p->>1, (p->>2)::int, (p->>3)::int FROM jsonb_array_elements($1::jsonb) AS p`,
    [JSON.stringify(postings)],
  );
}

export async function countChunks(q: Queryable, videoId?: string): Promise<number> {
  const res = videoId
    ? await q.query<{ n: string }>('SELECT count(*) AS n FROM chunks WHERE video_id = $1', [videoId])
    : await q.query<{ n: string }>('SELECT count(*) AS n FROM chunks');
  return Number(res.rows[0]?.n ?? 0);
}

/** A chunk with its video's title and date, as search results show it. */
export interface ChunkWithVideo {
  id: string | number;
  video_id: string;
  title: string;
  published: string | Date | null;
  start_sec: number;
  end_sec: number;
  text: string;
  segments: Segment[];
}

/** The chunks with these ids (any order; missing ids are left out), by id. */
export async function chunksWithVideo(
  q: Queryable,
  ids: readonly number[],
): Promise<Map<number, ChunkWithVideo>> {
  const res = await q.query<ChunkWithVideo>(
    `SELECT c.id, c.video_id, v.title, v.published, c.start_sec, c.end_sec, c.text, c.segments
     FROM chunks c JOIN videos v ON v.video_id = c.video_id WHERE c.id = ANY($1::bigint[])`,
    [[...ids]],
  );
  return new Map(res.rows.map((r) => [Number(r.id), r]));
}

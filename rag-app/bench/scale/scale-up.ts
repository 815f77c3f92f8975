/**
 * The documented synthetic scale-up of a real corpus for the scale benchmark. Copy n of every
 * original video is `<videoId>~n`, with the same chunk spans and text; each copy's postings drop
 * ~10 % of the chunk's terms at random (so BM25 sees near-duplicates, not ties, and document
 * frequencies grow as in a larger channel) and each vector gets uniform noise of ±0.05 per
 * component (cosine ≈ 0.9 to the original for 256-d LSA vectors: copies are near neighbours, not
 * ties). Chunk-term and vector distributions stay those of real transcripts.
 */
import type { Db } from '../../src/store/db.ts';

export const SCALE_UP = { dropTermShare: 0.1, vectorNoise: 0.1 } as const;

export interface ScaleUpProgress {
  copies: number;
  chunks: number;
}

async function count(db: Db, sql: string): Promise<number> {
  const res = await db.query<{ n: string | number }>(sql);
  return Number(res.rows[0]?.n ?? 0);
}

/** Adds copies until the store holds at least `targetChunks` chunks; returns the chunk count. */
export async function scaleUpTo(
  db: Db,
  targetChunks: number,
  onProgress: (p: ScaleUpProgress) => void = () => {},
): Promise<number> {
  const originals = await count(db, "SELECT count(*) AS n FROM chunks WHERE video_id NOT LIKE '%~%'");
  if (originals === 0) throw new Error('scale-up needs an ingested corpus (no chunks)');
  let chunks = await count(db, 'SELECT count(*) AS n FROM chunks');
  let copy = await count(
    db,
    "SELECT count(DISTINCT split_part(video_id, '~', 2)) AS n FROM videos WHERE video_id LIKE '%~%'",
  );
  while (chunks < targetChunks) {
    copy++;
    const suffix = `~${copy}`;
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO videos (video_id, title, url, published, duration_sec, source, content_hash, segments)
         SELECT video_id || $1, title, url, published, duration_sec, source, content_hash, '[]'::jsonb
         FROM videos WHERE video_id NOT LIKE '%~%'`,
        [suffix],
      );
      await tx.query(
        `INSERT INTO chunks (video_id, ordinal, start_sec, end_sec, text, segments, token_count, embedding)
         SELECT c.video_id || $1, c.ordinal, c.start_sec, c.end_sec, c.text, c.segments, c.token_count,
           CASE WHEN c.embedding IS NULL THEN NULL ELSE
             (SELECT array_agg(x + $2::real * (random()::real - 0.5) ORDER BY i)
              FROM unnest(c.embedding::real[]) WITH ORDINALITY AS u(x, i))::vector END
         FROM chunks c WHERE c.video_id NOT LIKE '%~%' ORDER BY c.id`,
        [suffix, SCALE_UP.vectorNoise],
      );
      await tx.query(
        `INSERT INTO chunk_terms (chunk_id, term, tf)
         SELECT n.id, ct.term, ct.tf
         FROM chunks o
           JOIN chunks n ON n.video_id = o.video_id || $1 AND n.ordinal = o.ordinal
           JOIN chunk_terms ct ON ct.chunk_id = o.id
         WHERE o.video_id NOT LIKE '%~%' AND random() >= $2::real`,
        [suffix, SCALE_UP.dropTermShare],
      );
    });
    chunks += originals;
    onProgress({ copies: copy, chunks });
  }
  await db.query('UPDATE corpus_state SET version = version + 1');
  await db.query('ANALYZE chunks');
  await db.query('ANALYZE chunk_terms');
  return chunks;
}

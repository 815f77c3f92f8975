/**
 * The documented synthetic scale-up of a real corpus for the scale benchmark. Copy n of every
 * original video is `<videoId>~n`, with the same chunk spans and text; each copy's postings drop
 * ~10 % of the chunk's terms at random (so BM25 sees near-duplicates, not ties, and document
 * frequencies grow as in a larger channel) and each vector gets uniform noise of ±0.05 per
 * component (cosine ≈ 0.9 to the original for 256-d LSA vectors: copies are near neighbours, not
 * ties). Chunk-term and vector distributions stay those of real transcripts. Document frequencies
 * and corpus totals follow through migration 142's triggers, as for any other write.
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
  // The corpus is ingested before any copy, so its chunks are the lowest ids: copies read them by
  // an id range (an index scan) instead of scanning the whole, growing table for every copy.
  const lastOriginal = await count(db, "SELECT max(id) AS n FROM chunks WHERE video_id NOT LIKE '%~%'");
  // Postings go into a heap without the (term, chunk_id) key, which is built once at the end:
  // one sorted build instead of tens of millions of random inserts into a growing B-tree.
  const key = await db.query<{ def: string }>(
    "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'chunk_terms_pkey' AND conrelid = 'chunk_terms'::regclass",
  );
  const keyDef = key.rows[0]?.def;
  if (keyDef) await db.query('ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey');
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
         FROM chunks c WHERE c.id <= $3 ORDER BY c.id`,
        [suffix, SCALE_UP.vectorNoise, lastOriginal],
      );
      await tx.query(
        `INSERT INTO chunk_terms (chunk_id, term, tf, doc_len)
         SELECT n.id, ct.term, ct.tf, ct.doc_len
         FROM chunk_terms ct
           JOIN chunks o ON o.id = ct.chunk_id
           JOIN chunks n ON n.video_id = o.video_id || $1 AND n.ordinal = o.ordinal
         WHERE ct.chunk_id <= $3 AND random() >= $2::real`,
        [suffix, SCALE_UP.dropTermShare, lastOriginal],
      );
    });
    chunks += originals;
    onProgress({ copies: copy, chunks });
  }
  await finishScaleUp(db, keyDef);
  return chunks;
}

/**
 * Completes a scale-up: the postings key (dropped while copying) built once, the corpus version
 * bumped (caches reload), VACUUM ANALYZE. `keyDef` is the key's definition; by default the app's.
 */
export async function finishScaleUp(
  db: Db,
  keyDef: string | undefined = 'PRIMARY KEY (term, chunk_id) INCLUDE (tf, doc_len)',
): Promise<void> {
  const hasKey = await count(
    db,
    "SELECT count(*) AS n FROM pg_constraint WHERE conname = 'chunk_terms_pkey' AND conrelid = 'chunk_terms'::regclass",
  );
  if (keyDef && hasKey === 0) {
    await db.transaction(async (tx) => {
      await tx.query("SET LOCAL maintenance_work_mem = '1GB'");
      await tx.query(`ALTER TABLE chunk_terms ADD CONSTRAINT chunk_terms_pkey ${keyDef}`);
    });
  }
  await db.query('UPDATE corpus_state SET version = version + 1');
  // VACUUM sets the visibility map, so a term's postings are read off the index alone (as
  // autovacuum would leave a store that has been written once and then read).
  await db.query('VACUUM ANALYZE chunks');
  await db.query('VACUUM ANALYZE chunk_terms');
  await db.query('VACUUM ANALYZE bm25_terms');
}

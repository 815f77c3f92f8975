import type { Segment, SourceKind, VideoMeta } from '../types.ts';
import type { Queryable } from './db.ts';

export interface VideoRow {
  video_id: string;
  title: string;
  url: string;
  published: string | Date | null;
  duration_sec: number | null;
  source: string;
  content_hash: string;
  ingested_at: string | Date;
  updated_at: string | Date;
  chunks?: number | string;
  segments?: Segment[];
}

export function isoDate(value: string | Date | null): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return value.slice(0, 10);
}

export function isoTime(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function toVideoMeta(row: VideoRow): VideoMeta {
  return {
    videoId: row.video_id,
    title: row.title,
    url: row.url,
    published: isoDate(row.published),
    durationSec: row.duration_sec,
    source: row.source as SourceKind,
  };
}

export async function getContentHash(q: Queryable, videoId: string): Promise<string | null> {
  const res = await q.query<{ content_hash: string }>('SELECT content_hash FROM videos WHERE video_id = $1', [
    videoId,
  ]);
  return res.rows[0]?.content_hash ?? null;
}

export async function upsertVideo(
  q: Queryable,
  meta: VideoMeta,
  contentHash: string,
  segments: readonly Segment[],
): Promise<void> {
  await q.query(
    `INSERT INTO videos (video_id, title, url, published, duration_sec, source, content_hash, segments)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     ON CONFLICT (video_id) DO UPDATE SET title = EXCLUDED.title, url = EXCLUDED.url,
       published = EXCLUDED.published, duration_sec = EXCLUDED.duration_sec, source = EXCLUDED.source,
       content_hash = EXCLUDED.content_hash, segments = EXCLUDED.segments, updated_at = now()`,
    [
      meta.videoId,
      meta.title,
      meta.url,
      meta.published,
      meta.durationSec,
      meta.source,
      contentHash,
      JSON.stringify(segments),
    ],
  );
}

export async function deleteVideo(q: Queryable, videoId: string): Promise<boolean> {
  const res = await q.query('DELETE FROM videos WHERE video_id = $1', [videoId]);
  return res.affectedRows > 0;
}

export async function bumpCorpusVersion(q: Queryable): Promise<number> {
  const res = await q.query<{ version: string | number }>(
    'UPDATE corpus_state SET version = version + 1 RETURNING version',
  );
  return Number(res.rows[0]?.version ?? 0);
}

export async function corpusVersion(q: Queryable): Promise<number> {
  const res = await q.query<{ version: string | number }>('SELECT version FROM corpus_state');
  return Number(res.rows[0]?.version ?? 0);
}

const LIST_COLUMNS = `v.video_id, v.title, v.url, v.published, v.duration_sec, v.source, v.content_hash,
  v.ingested_at, v.updated_at, (SELECT count(*) FROM chunks c WHERE c.video_id = v.video_id) AS chunks`;

export async function listVideos(
  q: Queryable,
  options: { q?: string; limit: number; offset: number },
): Promise<{ total: number; rows: VideoRow[] }> {
  const pattern = options.q ? `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where = pattern ? 'WHERE v.title ILIKE $1 OR v.video_id = $2' : '';
  const params = pattern ? [pattern, options.q] : [];
  const total = await q.query<{ n: string | number }>(`SELECT count(*) AS n FROM videos v ${where}`, params);
  const rows = await q.query<VideoRow>(
    `SELECT ${LIST_COLUMNS} FROM videos v ${where}
     ORDER BY v.published DESC NULLS LAST, v.title LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, options.limit, options.offset],
  );
  return { total: Number(total.rows[0]?.n ?? 0), rows: rows.rows };
}

export async function getVideo(q: Queryable, videoId: string): Promise<VideoRow | null> {
  const res = await q.query<VideoRow>(
    `SELECT ${LIST_COLUMNS}, v.segments FROM videos v WHERE v.video_id = $1`,
    [videoId],
  );
  return res.rows[0] ?? null;
}

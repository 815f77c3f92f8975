/** What a search hit shows around its window: the segments just before it in its video. */
import type { Segment } from '../types.ts';
import type { Queryable } from './db.ts';

/**
 * For each chunk id, the segments of the window before it in the same video (by ordinal); a
 * video's first window has none and is left out.
 */
export async function precedingSegments(
  q: Queryable,
  ids: readonly number[],
): Promise<Map<number, Segment[]>> {
  if (ids.length === 0) return new Map();
  const res = await q.query<{ id: string | number; segments: Segment[] }>(
    `SELECT c.id, p.segments
     FROM chunks c JOIN chunks p ON p.video_id = c.video_id AND p.ordinal = c.ordinal - 1
     WHERE c.id = ANY($1::bigint[])`,
    [[...ids]],
  );
  return new Map(res.rows.map((r) => [Number(r.id), r.segments]));
}

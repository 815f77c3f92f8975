import type { Queryable } from './db.ts';

/**
 * The `usage_events` table (one row per counted message, per bucket, for sliding-window caps) and
 * `rate_windows` (hits per bucket per fixed window, counted with one atomic upsert).
 */

export async function deleteUsageEventsUpTo(db: Queryable, bucket: string, cut: Date): Promise<void> {
  await db.query('DELETE FROM usage_events WHERE bucket = $1 AND at <= $2', [bucket, cut]);
}

/** How many events the bucket holds, and when the oldest happened. */
export async function usageEventStats(
  db: Queryable,
  bucket: string,
): Promise<{ used: number; oldest: Date | null }> {
  const { rows } = await db.query<{ n: number; oldest: Date | string | null }>(
    'SELECT count(*)::int AS n, min(at) AS oldest FROM usage_events WHERE bucket = $1',
    [bucket],
  );
  const oldest = rows[0]?.oldest;
  return { used: rows[0]?.n ?? 0, oldest: oldest ? new Date(oldest) : null };
}

export async function insertUsageEvent(db: Queryable, bucket: string, at: Date): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO usage_events (bucket, at) VALUES ($1, $2) RETURNING id',
    [bucket, at],
  );
  return Number(rows[0]!.id);
}

export async function deleteUsageEvent(db: Queryable, id: number): Promise<void> {
  await db.query('DELETE FROM usage_events WHERE id = $1', [id]);
}

export async function countUsageEventsSince(db: Queryable, bucket: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE bucket = $1 AND at > $2',
    [bucket, since],
  );
  return rows[0]?.n ?? 0;
}

/** Counts one hit in the bucket's window and returns the window's hits so far. */
export async function hitRateWindow(db: Queryable, bucket: string, windowStart: Date): Promise<number> {
  const { rows } = await db.query<{ hits: number }>(
    `INSERT INTO rate_windows (bucket, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits`,
    [bucket, windowStart],
  );
  return rows[0]?.hits ?? 1;
}

export async function deleteRateWindowsBefore(
  db: Queryable,
  bucket: string,
  windowStart: Date,
): Promise<void> {
  await db.query('DELETE FROM rate_windows WHERE bucket = $1 AND window_start < $2', [bucket, windowStart]);
}

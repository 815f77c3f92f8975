import type { Db } from '../store/db.ts';
import { ApiError } from './http-errors.ts';

const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60 * 1000;

export function humanDuration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Counts one message against a sliding 24 h cap. The count and the insert run under a
 * transaction-scoped advisory lock on the bucket, so concurrent requests in several processes
 * cannot both take the last slot. Returns the event id (to refund it if the answer fails).
 */
export async function takeDailyMessage(db: Db, userId: number, cap: number, now: Date): Promise<number> {
  const bucket = `messages:user:${userId}`;
  const since = new Date(now.getTime() - DAY_MS);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [bucket]);
    await tx.query('DELETE FROM usage_events WHERE bucket = $1 AND at <= $2', [bucket, since]);
    const { rows } = await tx.query<{ n: number; oldest: Date | string | null }>(
      'SELECT count(*)::int AS n, min(at) AS oldest FROM usage_events WHERE bucket = $1',
      [bucket],
    );
    const used = rows[0]?.n ?? 0;
    if (used >= cap) {
      const oldest = rows[0]?.oldest ? new Date(rows[0].oldest).getTime() : now.getTime();
      const wait = oldest + DAY_MS - now.getTime();
      throw new ApiError(
        429,
        'daily_cap_reached',
        `daily message cap reached: you have sent ${used} of ${cap} messages in the last 24 hours; the next one frees up in ${humanDuration(wait)}`,
        { 'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))) },
      );
    }
    const inserted = await tx.query<{ id: string }>(
      'INSERT INTO usage_events (bucket, at) VALUES ($1, $2) RETURNING id',
      [bucket, now],
    );
    return Number(inserted.rows[0]!.id);
  });
}

/** Gives a message back when the answer could not be produced: failures should not eat the cap. */
export async function refundDailyMessage(db: Db, eventId: number): Promise<void> {
  await db.query('DELETE FROM usage_events WHERE id = $1', [eventId]);
}

export async function messagesUsedToday(db: Db, userId: number, now: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE bucket = $1 AND at > $2',
    [`messages:user:${userId}`, new Date(now.getTime() - DAY_MS)],
  );
  return rows[0]?.n ?? 0;
}

/** Fixed one-minute windows per IP, counted with an atomic upsert (no lock needed). */
export async function hitIpRate(db: Db, ip: string, perMinute: number, now: Date): Promise<void> {
  const bucket = `ip:${ip}`;
  const windowStart = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  const { rows } = await db.query<{ hits: number }>(
    `INSERT INTO rate_windows (bucket, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits`,
    [bucket, windowStart],
  );
  const hits = rows[0]?.hits ?? 1;
  if (hits === 1) {
    // First hit of a new window: old windows of this bucket are no longer needed.
    await db.query('DELETE FROM rate_windows WHERE bucket = $1 AND window_start < $2', [bucket, windowStart]);
  }
  if (hits > perMinute) {
    const wait = windowStart.getTime() + MINUTE_MS - now.getTime();
    throw new ApiError(
      429,
      'rate_limited',
      `too many requests from your address: at most ${perMinute} a minute; try again in ${humanDuration(wait)}`,
      { 'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))) },
    );
  }
}

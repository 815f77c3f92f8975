import type { Db } from '../store/db.ts';
import { lockForTransaction } from '../store/locks.ts';
import * as usage from '../store/usage.ts';
import { LimitError } from './errors.ts';

const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60 * 1000;

export function humanDuration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const retryAfter = (waitMs: number) => Math.max(1, Math.ceil(waitMs / 1000));
const messageBucket = (userId: number) => `messages:user:${userId}`;

/**
 * Counts one message against a sliding 24 h cap. The count and the insert run under a
 * transaction-scoped advisory lock on the bucket, so concurrent requests in several processes
 * cannot both take the last slot. Returns the event id (to refund it if the answer fails).
 */
export async function takeDailyMessage(db: Db, userId: number, cap: number, now: Date): Promise<number> {
  const bucket = messageBucket(userId);
  const since = new Date(now.getTime() - DAY_MS);
  return db.transaction(async (tx) => {
    await lockForTransaction(tx, bucket);
    await usage.deleteUsageEventsUpTo(tx, bucket, since);
    const { used, oldest } = await usage.usageEventStats(tx, bucket);
    if (used >= cap) {
      const wait = (oldest ? oldest.getTime() : now.getTime()) + DAY_MS - now.getTime();
      throw new LimitError(
        'daily_cap_reached',
        `daily message cap reached: you have sent ${used} of ${cap} messages in the last 24 hours; the next one frees up in ${humanDuration(wait)}`,
        retryAfter(wait),
      );
    }
    return usage.insertUsageEvent(tx, bucket, now);
  });
}

/** Gives a message back when the answer could not be produced: failures should not eat the cap. */
export async function refundDailyMessage(db: Db, eventId: number): Promise<void> {
  await usage.deleteUsageEvent(db, eventId);
}

export function messagesUsedToday(db: Db, userId: number, now: Date): Promise<number> {
  return usage.countUsageEventsSince(db, messageBucket(userId), new Date(now.getTime() - DAY_MS));
}

/** Fixed one-minute windows per IP, counted with an atomic upsert (no lock needed). */
export async function hitIpRate(db: Db, ip: string, perMinute: number, now: Date): Promise<void> {
  const bucket = `ip:${ip}`;
  const windowStart = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  const hits = await usage.hitRateWindow(db, bucket, windowStart);
  if (hits === 1) {
    // First hit of a new window: old windows of this bucket are no longer needed.
    await usage.deleteRateWindowsBefore(db, bucket, windowStart);
  }
  if (hits > perMinute) {
    const wait = windowStart.getTime() + MINUTE_MS - now.getTime();
    throw new LimitError(
      'rate_limited',
      `too many requests from your address: at most ${perMinute} a minute; try again in ${humanDuration(wait)}`,
      retryAfter(wait),
    );
  }
}

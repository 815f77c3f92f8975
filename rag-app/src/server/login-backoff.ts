import type { Queryable } from '../store/db.ts';
import { ApiError } from './http-errors.ts';
import { humanDuration } from './limits.ts';

/** Free attempts per account before each further one must wait; then 30 s, doubling, at most 15 min. */
export const FREE_LOGIN_ATTEMPTS = 5;
const FIRST_WAIT_S = 30;
const MAX_WAIT_S = 15 * 60;

/** Seconds an account with `failures` failed sign-ins waits before the next attempt. */
export function loginWaitSeconds(failures: number): number {
  if (failures < FREE_LOGIN_ATTEMPTS) return 0;
  return Math.min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_LOGIN_ATTEMPTS));
}

const WAIT_SQL = `make_interval(secs => least(${MAX_WAIT_S}, ${FIRST_WAIT_S} * power(2, login_failures.failures - ${FREE_LOGIN_ATTEMPTS})))`;

/**
 * Counts a sign-in attempt on `email` before the password is checked, in one atomic upsert, so
 * parallel guesses cannot slip past the backoff (the per-IP limit alone is collapsed by a proxy).
 * Throws 429 `login_backoff` when the account must wait. `loginSucceeded` clears the count.
 */
export async function takeLoginAttempt(db: Queryable, email: string, now: Date): Promise<void> {
  const { rows } = await db.query<{ failures: number }>(
    `INSERT INTO login_failures (email, failures, last_at) VALUES ($1, 1, $2)
     ON CONFLICT (email) DO UPDATE SET failures = login_failures.failures + 1, last_at = EXCLUDED.last_at
     WHERE login_failures.failures < ${FREE_LOGIN_ATTEMPTS} OR login_failures.last_at + ${WAIT_SQL} <= EXCLUDED.last_at
     RETURNING failures`,
    [email, now],
  );
  if (rows[0]) return;
  const state = await db.query<{ failures: number; last_at: Date | string }>(
    'SELECT failures, last_at FROM login_failures WHERE email = $1',
    [email],
  );
  const row = state.rows[0];
  const waitMs = row
    ? new Date(row.last_at).getTime() + loginWaitSeconds(row.failures) * 1000 - now.getTime()
    : FIRST_WAIT_S * 1000;
  throw new ApiError(
    429,
    'login_backoff',
    `too many failed sign-ins for this account: try again in ${humanDuration(waitMs)}`,
    { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  );
}

export async function loginSucceeded(db: Queryable, email: string): Promise<void> {
  await db.query('DELETE FROM login_failures WHERE email = $1', [email]);
}

/** Failures nobody has touched for a day are forgotten (the periodic cleanup calls this). */
export async function forgetOldLoginFailures(db: Queryable, now: Date): Promise<number> {
  const res = await db.query('DELETE FROM login_failures WHERE last_at < $1', [
    new Date(now.getTime() - 24 * 3600 * 1000),
  ]);
  return res.affectedRows;
}

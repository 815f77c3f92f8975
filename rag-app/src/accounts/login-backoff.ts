import { humanDuration } from '../limits/usage.ts';
import type { Queryable } from '../store/db.ts';
import {
  type BackoffPolicy,
  clearLoginFailures,
  countLoginAttempt,
  deleteLoginFailuresBefore,
  readLoginFailures,
} from '../store/login-failures.ts';
import { AccountError } from './errors.ts';

/** Free attempts per account before each further one must wait; then 30 s, doubling, at most 15 min. */
export const FREE_LOGIN_ATTEMPTS = 5;
const FIRST_WAIT_S = 30;
const MAX_WAIT_S = 15 * 60;
const POLICY: BackoffPolicy = {
  freeAttempts: FREE_LOGIN_ATTEMPTS,
  firstWaitSeconds: FIRST_WAIT_S,
  maxWaitSeconds: MAX_WAIT_S,
};

/** Seconds an account with `failures` failed sign-ins waits before the next attempt. */
export function loginWaitSeconds(failures: number): number {
  if (failures < FREE_LOGIN_ATTEMPTS) return 0;
  return Math.min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_LOGIN_ATTEMPTS));
}

/**
 * Counts a sign-in attempt on `email` before the password is checked, in one atomic upsert, so
 * parallel guesses cannot slip past the backoff (the per-IP limit alone is collapsed by a proxy).
 * Throws `login_backoff` when the account must wait. `loginSucceeded` clears the count.
 */
export async function takeLoginAttempt(db: Queryable, email: string, now: Date): Promise<void> {
  if (await countLoginAttempt(db, email, now, POLICY)) return;
  const row = await readLoginFailures(db, email);
  const waitMs = row
    ? row.lastAt.getTime() + loginWaitSeconds(row.failures) * 1000 - now.getTime()
    : FIRST_WAIT_S * 1000;
  throw new AccountError(
    'login_backoff',
    `too many failed sign-ins for this account: try again in ${humanDuration(waitMs)}`,
    Math.max(1, Math.ceil(waitMs / 1000)),
  );
}

export function loginSucceeded(db: Queryable, email: string): Promise<void> {
  return clearLoginFailures(db, email);
}

/** Failures nobody has touched for a day are forgotten (the periodic cleanup calls this). */
export function forgetOldLoginFailures(db: Queryable, now: Date): Promise<number> {
  return deleteLoginFailuresBefore(db, new Date(now.getTime() - 24 * 3600 * 1000));
}

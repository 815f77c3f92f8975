import type { Queryable } from './db.ts';

/** The `login_failures` table: failed sign-ins per email, for the per-account backoff. */

export interface BackoffPolicy {
  /** Attempts allowed before each further one must wait. */
  freeAttempts: number;
  firstWaitSeconds: number;
  maxWaitSeconds: number;
}

/**
 * Counts an attempt in one atomic upsert, only when the account may try now (under the free
 * attempts, or its wait is over): parallel guesses cannot slip past the backoff. False when it must wait.
 */
export async function countLoginAttempt(
  db: Queryable,
  email: string,
  now: Date,
  policy: BackoffPolicy,
): Promise<boolean> {
  const { rows } = await db.query<{ failures: number }>(
    `INSERT INTO login_failures (email, failures, last_at) VALUES ($1, 1, $2)
     ON CONFLICT (email) DO UPDATE SET failures = login_failures.failures + 1, last_at = EXCLUDED.last_at
     WHERE login_failures.failures < $3::int
       OR login_failures.last_at + make_interval(secs => least($5::float8, $4::float8 * power(2, login_failures.failures - $3::int))) <= EXCLUDED.last_at
     RETURNING failures`,
    [email, now, policy.freeAttempts, policy.firstWaitSeconds, policy.maxWaitSeconds],
  );
  return rows[0] !== undefined;
}

export async function readLoginFailures(
  db: Queryable,
  email: string,
): Promise<{ failures: number; lastAt: Date } | null> {
  const { rows } = await db.query<{ failures: number; last_at: Date | string }>(
    'SELECT failures, last_at FROM login_failures WHERE email = $1',
    [email],
  );
  const row = rows[0];
  return row ? { failures: row.failures, lastAt: new Date(row.last_at) } : null;
}

export async function clearLoginFailures(db: Queryable, email: string): Promise<void> {
  await db.query('DELETE FROM login_failures WHERE email = $1', [email]);
}

export async function deleteLoginFailuresBefore(db: Queryable, cut: Date): Promise<number> {
  const res = await db.query('DELETE FROM login_failures WHERE last_at < $1', [cut]);
  return res.affectedRows;
}

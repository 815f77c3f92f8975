import type { Queryable } from './db.ts';

/**
 * The `leases` table: named, expiring locks across processes. Each change is one guarded statement:
 * taking needs the lease free or expired, renewing and releasing need us to be its holder.
 */

export interface LeaseState {
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/**
 * Takes the named lease if it is free or expired, in one atomic statement; true when we hold it.
 * Exclusive: a holder that already has it is refused too, so each acquisition must use a holder
 * string of its own and no run can renew or release another run's lease.
 */
export async function acquireLease(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  const expires = new Date(now.getTime() + ttlMs);
  const { rows } = await db.query<{ holder: string }>(
    `INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at,
       expires_at = EXCLUDED.expires_at
     WHERE leases.expires_at <= $3
     RETURNING holder`,
    [name, holder, now, expires],
  );
  return rows[0]?.holder === holder;
}

/** Takes the lease from `from` (a holder known to be gone), only if `from` still has it. */
export async function takeOverLease(
  db: Queryable,
  name: string,
  from: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  const res = await db.query(
    'UPDATE leases SET holder = $3, acquired_at = $4, expires_at = $5 WHERE name = $1 AND holder = $2',
    [name, from, holder, now, new Date(now.getTime() + ttlMs)],
  );
  return res.affectedRows > 0;
}

/** Extends a lease we still hold; false when it was lost (expired and taken by someone else). */
export async function renewLease(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  const res = await db.query('UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2', [
    name,
    holder,
    new Date(now.getTime() + ttlMs),
  ]);
  return res.affectedRows > 0;
}

export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
}

/** The lease while it has not expired; null when free. */
export async function readLease(db: Queryable, name: string, now: Date): Promise<LeaseState | null> {
  const { rows } = await db.query<{
    name: string;
    holder: string;
    acquired_at: Date | string;
    expires_at: Date | string;
  }>('SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = $1 AND expires_at > $2', [
    name,
    now,
  ]);
  const r = rows[0];
  if (!r) return null;
  return {
    name: r.name,
    holder: r.holder,
    acquiredAt: new Date(r.acquired_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
  };
}

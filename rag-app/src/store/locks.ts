import type { Queryable } from './db.ts';

/**
 * A transaction-scoped advisory lock on `key`: held until the transaction ends, so checks and the
 * write they guard (a cap, the first admin) cannot interleave across connections or processes.
 */
export async function lockForTransaction(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

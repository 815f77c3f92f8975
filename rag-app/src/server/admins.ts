import type { Db, Queryable } from '../store/db.ts';
import { ApiError } from './http-errors.ts';

/**
 * Who administers the library: a stored grant on a password account, made by the operator
 * (`rag admin grant`) or by claiming the one-time setup link. Never an email typed at sign-up.
 */

export interface AdminRow {
  id: number;
  email: string;
  createdAt: string;
}

/** Outcome of a grant or revoke; `missing` when no password account has that email. */
export type GrantOutcome = 'granted' | 'already' | 'revoked' | 'not-admin' | 'missing';

export async function anyAdmin(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE is_admin');
  return (rows[0]?.n ?? 0) > 0;
}

export async function listAdmins(db: Queryable): Promise<AdminRow[]> {
  const { rows } = await db.query<{ id: string; email: string; created_at: Date | string }>(
    'SELECT id, email, created_at FROM users WHERE is_admin ORDER BY id',
  );
  return rows.map((r) => ({
    id: Number(r.id),
    email: r.email,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

async function setAdmin(db: Queryable, email: string, value: boolean): Promise<GrantOutcome> {
  const normalized = email.trim().toLowerCase();
  const { rows } = await db.query<{ was: boolean }>(
    `UPDATE users u SET is_admin = $2 FROM (SELECT id, is_admin AS was FROM users WHERE email = $1 AND password_hash IS NOT NULL) old
     WHERE u.id = old.id RETURNING old.was`,
    [normalized, value],
  );
  const row = rows[0];
  if (!row) return 'missing';
  if (value) return row.was ? 'already' : 'granted';
  return row.was ? 'revoked' : 'not-admin';
}

/** Makes the account with this email an admin (the operator's command). */
export function grantAdmin(db: Queryable, email: string): Promise<GrantOutcome> {
  return setAdmin(db, email, true);
}

export function revokeAdmin(db: Queryable, email: string): Promise<GrantOutcome> {
  return setAdmin(db, email, false);
}

/**
 * The setup link's grant: makes this account the admin only while there is none, under a lock so
 * two claims (two processes, each with its own link) cannot both win.
 */
export async function claimFirstAdmin(db: Db, userId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('admin-setup'))");
    if (await anyAdmin(tx)) {
      throw new ApiError(
        409,
        'admin_exists',
        'an admin already exists: ask them, or have the operator run `pnpm rag admin grant <email>`',
      );
    }
    const res = await tx.query(
      'UPDATE users SET is_admin = true WHERE id = $1 AND password_hash IS NOT NULL',
      [userId],
    );
    if (res.affectedRows === 0)
      throw new ApiError(
        403,
        'account_required',
        'sign in with an account (not as a guest) to become the admin',
      );
  });
}

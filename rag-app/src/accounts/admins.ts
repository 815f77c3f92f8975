import type { Db, Queryable } from '../store/db.ts';
import { lockForTransaction } from '../store/locks.ts';
import * as users from '../store/users.ts';
import { AccountError } from './errors.ts';

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
  return (await users.countAdmins(db)) > 0;
}

export async function listAdmins(db: Queryable): Promise<AdminRow[]> {
  const rows = await users.listAdmins(db);
  return rows.map((r) => ({
    id: Number(r.id),
    email: r.email,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

async function setAdmin(db: Queryable, email: string, value: boolean): Promise<GrantOutcome> {
  const row = await users.setAdminByEmail(db, email.trim().toLowerCase(), value);
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
    await lockForTransaction(tx, 'admin-setup');
    if (await anyAdmin(tx)) {
      throw new AccountError(
        'admin_exists',
        'an admin already exists: ask them, or have the operator run `pnpm rag admin grant <email>`',
      );
    }
    if (!(await users.grantAdminToAccount(tx, userId)))
      throw new AccountError(
        'account_required',
        'sign in with an account (not as a guest) to become the admin',
      );
  });
}

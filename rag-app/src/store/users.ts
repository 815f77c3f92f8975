import type { Queryable } from './db.ts';

/**
 * The `users` table: password accounts, guests (no password, no email) and the admin grant. Each
 * state change is one guarded statement: what must hold (a password, no admin yet) is in its WHERE.
 */

export interface UserRow {
  id: string | number;
  email: string;
  /** NULL for a guest, who cannot sign in: its session cookie is its only key. */
  password_hash: string | null;
  is_admin: boolean;
}

export const USER_COLUMNS = 'id, email, password_hash, is_admin';

/** A new password account; null when the email is taken. */
export async function insertAccount(
  db: Queryable,
  email: string,
  passwordHash: string,
): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [email, passwordHash],
  );
  return rows[0] ?? null;
}

/** The password account with this email (guests have no password and never match). */
export async function findAccountByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE email = $1 AND password_hash IS NOT NULL`,
    [email],
  );
  return rows[0] ?? null;
}

export async function insertGuest(db: Queryable, email: string, now: Date): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash, created_at) VALUES ($1, NULL, $2) RETURNING ${USER_COLUMNS}`,
    [email, now],
  );
  return rows[0]!;
}

/** A new password for an account (never turns a guest into one). */
export async function updatePassword(db: Queryable, userId: number, passwordHash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash IS NOT NULL', [
    userId,
    passwordHash,
  ]);
}

/** Deletes a guest (never an account) and, by cascade, its conversations and sessions. */
export async function deleteGuest(db: Queryable, userId: number): Promise<boolean> {
  const res = await db.query('DELETE FROM users WHERE id = $1 AND password_hash IS NULL', [userId]);
  return res.affectedRows > 0;
}

/**
 * Deletes the guests with no activity since `cut`: created before it, and no session, conversation
 * change or question (`usage_events` bucket `messages:user:<id>`) since. Accounts are never touched.
 */
export async function deleteGuestsIdleSince(db: Queryable, cut: Date): Promise<number> {
  const res = await db.query(
    `DELETE FROM users u WHERE u.password_hash IS NULL AND u.created_at < $1
       AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.created_at >= $1)
       AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = u.id AND c.updated_at >= $1)
       AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.bucket = 'messages:user:' || u.id AND e.at >= $1)`,
    [cut],
  );
  return res.affectedRows;
}

export async function countAdmins(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE is_admin');
  return rows[0]?.n ?? 0;
}

export interface AdminUserRow {
  id: string;
  email: string;
  created_at: Date | string;
}

export async function listAdmins(db: Queryable): Promise<AdminUserRow[]> {
  const { rows } = await db.query<AdminUserRow>(
    'SELECT id, email, created_at FROM users WHERE is_admin ORDER BY id',
  );
  return rows;
}

/**
 * Sets the admin grant of the password account with this (normalized) email; returns what it was
 * before, or null when there is no such account.
 */
export async function setAdminByEmail(
  db: Queryable,
  email: string,
  value: boolean,
): Promise<{ was: boolean } | null> {
  const { rows } = await db.query<{ was: boolean }>(
    `UPDATE users u SET is_admin = $2 FROM (SELECT id, is_admin AS was FROM users WHERE email = $1 AND password_hash IS NOT NULL) old
     WHERE u.id = old.id RETURNING old.was`,
    [email, value],
  );
  return rows[0] ?? null;
}

/** Makes this account an admin; false when it is a guest (or gone). */
export async function grantAdminToAccount(db: Queryable, userId: number): Promise<boolean> {
  const res = await db.query('UPDATE users SET is_admin = true WHERE id = $1 AND password_hash IS NOT NULL', [
    userId,
  ]);
  return res.affectedRows > 0;
}

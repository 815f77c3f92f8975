import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import type { SessionUser } from './context.ts';
import { ApiError } from './http-errors.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Guests' stored "email": no '@', so no sign-up can ever claim one; shown to nobody. */
export const GUEST_EMAIL_PREFIX = 'guest:';

export interface UserRow {
  id: string | number;
  email: string;
  /** NULL for a guest, who cannot sign in: its session cookie is its only key. */
  password_hash: string | null;
  is_admin: boolean;
}

const USER_COLUMNS = 'id, email, password_hash, is_admin';

/** Admin comes only from the stored grant; a guest is never one (the schema forbids it too). */
export function toSessionUser(row: UserRow): SessionUser {
  const guest = row.password_hash === null;
  return {
    id: Number(row.id),
    email: guest ? 'guest' : row.email,
    isAdmin: !guest && row.is_admin === true,
    anonymous: guest,
  };
}

export async function createAccount(db: Queryable, email: string, password: string): Promise<UserRow> {
  const hash = await hashPassword(password);
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [email, hash],
  );
  if (!rows[0])
    throw new ApiError(409, 'email_taken', 'an account with this email already exists; sign in instead');
  return rows[0];
}

/** The user when the password matches; null otherwise, after the same amount of work either way. */
export async function checkCredentials(
  db: Queryable,
  email: string,
  password: string,
): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE email = $1 AND password_hash IS NOT NULL`,
    [email],
  );
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  return row && ok ? row : null;
}

/** A visitor's own guest identity (anonymous mode), created on the first thing they do that needs one. */
export async function createGuest(db: Queryable, now: Date): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash, created_at) VALUES ($1, NULL, $2) RETURNING ${USER_COLUMNS}`,
    [`${GUEST_EMAIL_PREFIX}${randomUUID()}`, now],
  );
  return rows[0]!;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Creates a session and returns the raw token for the cookie; only its hash is stored. */
export async function createSession(
  db: Queryable,
  userId: number,
  now: Date,
): Promise<{ token: string; expires: Date }> {
  const token = newToken();
  const expires = new Date(now.getTime() + SESSION_TTL_MS);
  await db.query(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
    [hashToken(token), userId, now, expires],
  );
  // Expired sessions of this user are dead weight; drop them while we are here.
  await db.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2', [userId, now]);
  return { token, expires };
}

export async function sessionUserRow(db: Queryable, token: string, now: Date): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT u.id, u.email, u.password_hash, u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [hashToken(token), now],
  );
  return rows[0] ?? null;
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [hashToken(token)]);
}

/** Sets a new password; every session of the account ends with it (the caller starts a new one). */
export async function changePassword(db: Queryable, userId: number, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await db.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash IS NOT NULL', [
    userId,
    hash,
  ]);
  await deleteUserSessions(db, userId);
}

/** "Sign out everywhere": every session of the user, on every device. */
export async function deleteUserSessions(db: Queryable, userId: number): Promise<number> {
  const res = await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  return res.affectedRows;
}

/** A guest forgetting themselves: the guest and (by cascade) their conversations and sessions. */
export async function deleteGuest(db: Queryable, userId: number): Promise<boolean> {
  const res = await db.query('DELETE FROM users WHERE id = $1 AND password_hash IS NULL', [userId]);
  return res.affectedRows > 0;
}

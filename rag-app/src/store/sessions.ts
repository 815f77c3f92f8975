import type { Queryable } from './db.ts';
import type { UserRow } from './users.ts';

/** The `sessions` table: only the SHA-256 of each session token is stored, with its expiry. */

export async function insertSession(
  db: Queryable,
  session: { tokenHash: string; userId: number; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
    [session.tokenHash, session.userId, session.createdAt, session.expiresAt],
  );
}

export async function deleteExpiredSessions(db: Queryable, userId: number, now: Date): Promise<number> {
  const res = await db.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2', [userId, now]);
  return res.affectedRows;
}

/** The user a live (unexpired) session belongs to. */
export async function findSessionUser(db: Queryable, tokenHash: string, now: Date): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT u.id, u.email, u.password_hash, u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, now],
  );
  return rows[0] ?? null;
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

/** Every session of the user, on every device. */
export async function deleteUserSessions(db: Queryable, userId: number): Promise<number> {
  const res = await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  return res.affectedRows;
}

import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import type { SessionUser } from './context.ts';
import { ApiError } from './http-errors.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** No '@', so it can never collide with a signed-up email. */
export const ANONYMOUS_EMAIL = 'anonymous';

export interface RolePolicy {
  /** Lower-cased emails from ADMIN_EMAILS; when empty, the first account to sign up is the admin. */
  adminEmails: string[];
  /** Whether the anonymous user (ALLOW_ANONYMOUS on a loopback host) may use the admin page. */
  anonymousIsAdmin: boolean;
}

interface UserRow {
  id: string | number;
  email: string;
  password_hash: string | null;
}

export function parseAdminEmails(value: string): string[] {
  return value
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e.length > 0);
}

async function firstAccountId(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM users WHERE password_hash IS NOT NULL ORDER BY id LIMIT 1',
  );
  return rows[0] ? Number(rows[0].id) : null;
}

export async function toSessionUser(db: Queryable, row: UserRow, policy: RolePolicy): Promise<SessionUser> {
  const id = Number(row.id);
  const anonymous = row.password_hash === null;
  let isAdmin: boolean;
  if (anonymous) isAdmin = policy.anonymousIsAdmin;
  else if (policy.adminEmails.length > 0) isAdmin = policy.adminEmails.includes(row.email);
  else isAdmin = (await firstAccountId(db)) === id;
  return { id, email: row.email, isAdmin, anonymous };
}

export async function createAccount(db: Queryable, email: string, password: string): Promise<UserRow> {
  const hash = await hashPassword(password);
  const { rows } = await db.query<UserRow>(
    'INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING id, email, password_hash',
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
    'SELECT id, email, password_hash FROM users WHERE email = $1 AND password_hash IS NOT NULL',
    [email],
  );
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  return row && ok ? row : null;
}

export async function anonymousUser(db: Queryable): Promise<UserRow> {
  await db.query(
    'INSERT INTO users (email, password_hash) VALUES ($1, NULL) ON CONFLICT (email) DO NOTHING',
    [ANONYMOUS_EMAIL],
  );
  const { rows } = await db.query<UserRow>('SELECT id, email, password_hash FROM users WHERE email = $1', [
    ANONYMOUS_EMAIL,
  ]);
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
    `SELECT u.id, u.email, u.password_hash FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [hashToken(token), now],
  );
  return rows[0] ?? null;
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [hashToken(token)]);
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import * as sessions from '../store/sessions.ts';
import * as users from '../store/users.ts';
import { AccountError } from './errors.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';

export type { UserRow } from '../store/users.ts';

type UserRow = users.UserRow;

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Guests' stored "email": no '@', so no sign-up can ever claim one; shown to nobody. */
export const GUEST_EMAIL_PREFIX = 'guest:';

/** Who is asking, as every part of the service sees them. */
export interface SessionUser {
  id: number;
  /** The account's email; `guest` for a guest. */
  email: string;
  isAdmin: boolean;
  /** A guest of anonymous mode: no password, no admin, their own conversations and daily cap. */
  anonymous: boolean;
}

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
  const row = await users.insertAccount(db, email, hash);
  if (!row)
    throw new AccountError('email_taken', 'an account with this email already exists; sign in instead');
  return row;
}

/** The user when the password matches; null otherwise, after the same amount of work either way. */
export async function checkCredentials(
  db: Queryable,
  email: string,
  password: string,
): Promise<UserRow | null> {
  const row = await users.findAccountByEmail(db, email);
  const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  return row && ok ? row : null;
}

/** A visitor's own guest identity (anonymous mode), created on the first thing they do that needs one. */
export function createGuest(db: Queryable, now: Date): Promise<UserRow> {
  return users.insertGuest(db, `${GUEST_EMAIL_PREFIX}${randomUUID()}`, now);
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
  await sessions.insertSession(db, {
    tokenHash: hashToken(token),
    userId,
    createdAt: now,
    expiresAt: expires,
  });
  // Expired sessions of this user are dead weight; drop them while we are here.
  await sessions.deleteExpiredSessions(db, userId, now);
  return { token, expires };
}

export function sessionUserRow(db: Queryable, token: string, now: Date): Promise<UserRow | null> {
  return sessions.findSessionUser(db, hashToken(token), now);
}

export function deleteSession(db: Queryable, token: string): Promise<void> {
  return sessions.deleteSession(db, hashToken(token));
}

/** Sets a new password; every session of the account ends with it (the caller starts a new one). */
export async function changePassword(db: Queryable, userId: number, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await users.updatePassword(db, userId, hash);
  await deleteUserSessions(db, userId);
}

/** "Sign out everywhere": every session of the user, on every device. */
export function deleteUserSessions(db: Queryable, userId: number): Promise<number> {
  return sessions.deleteUserSessions(db, userId);
}

/** A guest forgetting themselves: the guest and (by cascade) their conversations and sessions. */
export function deleteGuest(db: Queryable, userId: number): Promise<boolean> {
  return users.deleteGuest(db, userId);
}

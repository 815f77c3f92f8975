import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  createGuest,
  createSession,
  newToken,
  sessionUserRow,
  toSessionUser,
} from '../../accounts/accounts.ts';
import type { Db } from '../../store/db.ts';
import type { AppEnv, Clock, SessionUser } from '../context.ts';
import { ApiError } from '../errors.ts';

export const SESSION_COOKIE = 'rag_session';
export const CSRF_COOKIE = 'rag_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Secure cookies whenever the client reached us over https (directly or through a TLS proxy). */
function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

export function setSessionCookie(c: Context, token: string, expires: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c),
    path: '/',
    expires,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
}

/** The CSRF token of this browser: from its cookie, or a new one set now. */
export function csrfToken(c: Context): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[\w-]{20,}$/.test(existing)) return existing;
  const token = newToken();
  // httpOnly: the page gets the token from /api/me or the HTML, never from document.cookie.
  setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: isHttps(c), path: '/' });
  return token;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Double-submit CSRF token on state-changing requests that carry a session (and on the auth routes,
 * against login CSRF). Requests without any session carry no ambient authority to abuse; they are
 * JSON-only, which a cross-site page cannot send without a CORS preflight we never grant.
 */
export function csrfGuard(options: { always: (path: string) => boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const hasSession = getCookie(c, SESSION_COOKIE) !== undefined;
    if (!hasSession && !options.always(c.req.path)) return next();
    const cookie = getCookie(c, CSRF_COOKIE);
    const header = c.req.header(CSRF_HEADER);
    if (!cookie || !header || !sameToken(cookie, header)) {
      throw new ApiError(
        403,
        'csrf_failed',
        `missing or wrong CSRF token: send the token from GET /api/me in the ${CSRF_HEADER} header`,
      );
    }
    return next();
  };
}

/**
 * Resolves the caller's session (an account's, or a guest's in anonymous mode) into `c.get('user')`.
 * A visitor without one gets no identity here: a guest is created only by `actingUser`, on the first
 * request that does something, so page views and read-only calls leave no rows behind.
 */
export function loadUser(deps: { db: Db; clock: Clock; allowAnonymous: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const row = token ? await sessionUserRow(deps.db, token, deps.clock()) : null;
    c.set('user', row ? toSessionUser(row) : null);
    c.set(
      'newGuest',
      row || !deps.allowAnonymous
        ? null
        : async () => {
            const now = deps.clock();
            const guest = await createGuest(deps.db, now);
            const session = await createSession(deps.db, Number(guest.id), now);
            setSessionCookie(c, session.token, session.expires);
            return toSessionUser(guest);
          },
    );
    return next();
  };
}

function signInRequired(): ApiError {
  return new ApiError(401, 'sign_in_required', 'sign in to do this');
}

/**
 * The caller of a request that reads their own things: the signed-in user or guest, or null for a
 * visitor of anonymous mode who has no guest identity yet (and so owns nothing).
 */
export function readingUser(c: Context<AppEnv>): SessionUser | null {
  const user = c.get('user');
  if (user) return user;
  if (c.get('newGuest')) return null;
  throw signInRequired();
}

/** The caller of a request that acts: in anonymous mode, a new visitor becomes a guest of their own here. */
export async function actingUser(c: Context<AppEnv>): Promise<SessionUser> {
  const user = c.get('user');
  if (user) return user;
  const newGuest = c.get('newGuest');
  if (!newGuest) throw signInRequired();
  const guest = await newGuest();
  c.set('user', guest);
  c.set('newGuest', null);
  return guest;
}

/** A signed-in account (not a guest). */
export function requireAccount(c: Context<AppEnv>): SessionUser {
  const user = c.get('user');
  if (!user || user.anonymous)
    throw new ApiError(401, 'sign_in_required', 'sign in with an account (not as a guest) to do this');
  return user;
}

export function requireAdmin(c: Context<AppEnv>): SessionUser {
  const user = c.get('user');
  if (!user) throw signInRequired();
  if (!user.isAdmin) throw new ApiError(403, 'admin_only', 'only an admin can do this');
  return user;
}

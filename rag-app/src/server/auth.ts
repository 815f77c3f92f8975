import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Db } from '../store/db.ts';
import { anonymousUser, newToken, type RolePolicy, sessionUserRow, toSessionUser } from './accounts.ts';
import type { AppEnv, Clock, SessionUser } from './context.ts';
import { ApiError } from './http-errors.ts';

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

/** Resolves the signed-in user (or the anonymous one, when allowed) into `c.get('user')`. */
export function loadUser(deps: {
  db: Db;
  clock: Clock;
  policy: RolePolicy;
  allowAnonymous: boolean;
}): MiddlewareHandler<AppEnv> {
  let anonymous: Promise<SessionUser> | undefined;
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    let user: SessionUser | null = null;
    if (token) {
      const row = await sessionUserRow(deps.db, token, deps.clock());
      if (row) user = await toSessionUser(deps.db, row, deps.policy);
    }
    if (!user && deps.allowAnonymous) {
      anonymous ??= anonymousUser(deps.db).then((row) => toSessionUser(deps.db, row, deps.policy));
      user = await anonymous.catch((err) => {
        anonymous = undefined;
        throw err;
      });
    }
    c.set('user', user);
    return next();
  };
}

export function requireUser(c: Context<AppEnv>): SessionUser {
  const user = c.get('user');
  if (!user) throw new ApiError(401, 'sign_in_required', 'sign in to do this');
  return user;
}

export function requireAdmin(c: Context<AppEnv>): SessionUser {
  const user = requireUser(c);
  if (!user.isAdmin) throw new ApiError(403, 'admin_only', 'only an admin can do this');
  return user;
}

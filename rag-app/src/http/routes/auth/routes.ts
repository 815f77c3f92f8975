import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import {
  changePassword,
  checkCredentials,
  createAccount,
  createSession,
  deleteGuest,
  deleteSession,
  deleteUserSessions,
  toSessionUser,
} from '../../../accounts/accounts.ts';
import { loginSucceeded, takeLoginAttempt } from '../../../accounts/login-backoff.ts';
import { messagesUsedToday } from '../../../limits/usage.ts';
import type { AppEnv, Service } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { LIMITS } from '../../fields.ts';
import { ipLimit } from '../../middleware/ip-limit.ts';
import {
  clearSessionCookie,
  csrfToken,
  requireAccount,
  SESSION_COOKIE,
  setSessionCookie,
} from '../../middleware/session.ts';
import { readJson } from '../../validate.ts';
import { credentials, passwordChange } from './schema.ts';

export function authRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, clock, config } = service;

  /** Signing in replaces the browser's session (a guest's, or another account's): the old one is dropped. */
  const startSession = async (c: Context<AppEnv>, userId: number) => {
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await deleteSession(db, previous);
    const { token, expires } = await createSession(db, userId, clock());
    setSessionCookie(c, token, expires);
  };

  app.get('/api/me', async (c) => {
    const user = c.get('user');
    return c.json({
      user,
      csrfToken: csrfToken(c),
      allowAnonymous: config.ALLOW_ANONYMOUS,
      limits: {
        dailyMessages: config.DAILY_MESSAGE_CAP,
        usedToday: user ? await messagesUsedToday(db, user.id, clock()) : 0,
        questionChars: LIMITS.questionChars,
      },
      // A guest's conversations are deleted this many days after their last activity (0: kept).
      guestRetentionDays: config.GUEST_RETENTION_DAYS,
    });
  });

  app.post('/api/auth/signup', ipLimit(service), async (c) => {
    const body = await readJson(c, credentials);
    const row = await createAccount(db, body.email, body.password);
    await startSession(c, Number(row.id));
    service.logger.info({ userId: Number(row.id), ip: c.get('ip') }, 'account created');
    return c.json({ user: toSessionUser(row) }, 201);
  });

  app.post('/api/auth/login', ipLimit(service), async (c) => {
    const body = await readJson(c, credentials);
    // Counted before the password is checked; cleared when it matches.
    await takeLoginAttempt(db, body.email, clock());
    const row = await checkCredentials(db, body.email, body.password);
    if (!row) {
      service.logger.info({ ip: c.get('ip') }, 'sign-in refused');
      throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
    }
    await loginSucceeded(db, body.email);
    await startSession(c, Number(row.id));
    return c.json({ user: toSessionUser(row) });
  });

  /** A new password ends every session of the account; this browser gets a new one. */
  app.post('/api/auth/password', ipLimit(service), async (c) => {
    const user = requireAccount(c);
    const body = await readJson(c, passwordChange);
    await takeLoginAttempt(db, user.email, clock());
    if (!(await checkCredentials(db, user.email, body.currentPassword))) {
      throw new ApiError(401, 'invalid_credentials', 'the current password is wrong');
    }
    await loginSucceeded(db, user.email);
    await changePassword(db, user.id, body.newPassword);
    await startSession(c, user.id);
    service.logger.info({ userId: user.id }, 'password changed; other sessions ended');
    return c.body(null, 204);
  });

  /** "Sign out everywhere": every session of this user, this browser's included. */
  app.post('/api/auth/logout-all', async (c) => {
    const user = c.get('user');
    if (!user) throw new ApiError(401, 'sign_in_required', 'sign in to do this');
    const ended = await deleteUserSessions(db, user.id);
    clearSessionCookie(c);
    service.logger.info({ userId: user.id, sessions: ended }, 'signed out everywhere');
    return c.json({ sessionsEnded: ended });
  });

  /** A guest forgets themselves: their identity, conversations and sessions are deleted now. */
  app.delete('/api/me', async (c) => {
    const user = c.get('user');
    if (!user) return c.body(null, 204);
    if (!user.anonymous) {
      throw new ApiError(
        409,
        'account_not_deleted',
        'only a guest is deleted this way; an account deletes its conversations one by one (or asks the operator)',
      );
    }
    await deleteGuest(db, user.id);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(db, token);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}

import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { checkCredentials, createAccount, createSession, deleteSession, toSessionUser } from '../accounts.ts';
import { clearSessionCookie, csrfToken, SESSION_COOKIE, setSessionCookie } from '../auth.ts';
import type { AppEnv, Service } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { messagesUsedToday } from '../limits.ts';
import { credentials, LIMITS } from '../schemas.ts';
import { readJson } from '../validate.ts';
import { ipLimit } from './common.ts';

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
    const row = await checkCredentials(db, body.email, body.password);
    if (!row) {
      service.logger.info({ ip: c.get('ip') }, 'sign-in refused');
      throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
    }
    await startSession(c, Number(row.id));
    return c.json({ user: toSessionUser(row) });
  });

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(db, token);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}

import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { RolePolicy } from '../accounts.ts';
import { checkCredentials, createAccount, createSession, deleteSession, toSessionUser } from '../accounts.ts';
import { clearSessionCookie, csrfToken, SESSION_COOKIE, setSessionCookie } from '../auth.ts';
import type { AppEnv, Service } from '../context.ts';
import { ApiError } from '../http-errors.ts';
import { messagesUsedToday } from '../limits.ts';
import { credentials, LIMITS } from '../schemas.ts';
import { readJson } from '../validate.ts';
import { ipLimit } from './common.ts';

export function authRoutes(service: Service, policy: RolePolicy): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, clock, config } = service;

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
    const { token, expires } = await createSession(db, Number(row.id), clock());
    setSessionCookie(c, token, expires);
    service.logger.info({ userId: Number(row.id) }, 'account created');
    return c.json({ user: await toSessionUser(db, row, policy) }, 201);
  });

  app.post('/api/auth/login', ipLimit(service), async (c) => {
    const body = await readJson(c, credentials);
    const row = await checkCredentials(db, body.email, body.password);
    if (!row) throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
    const { token, expires } = await createSession(db, Number(row.id), clock());
    setSessionCookie(c, token, expires);
    return c.json({ user: await toSessionUser(db, row, policy) });
  });

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(db, token);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}

import { Hono } from 'hono';
import type { AdminSetup } from '../../../accounts/admin-setup.ts';
import { claimFirstAdmin } from '../../../accounts/admins.ts';
import { AccountError } from '../../../accounts/errors.ts';
import type { AppEnv, Service } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { ipLimit } from '../../middleware/ip-limit.ts';
import { requireAccount } from '../../middleware/session.ts';
import { readJson } from '../../validate.ts';
import { adminSetupBody } from './schema.ts';

/**
 * POST /api/admin-setup { token }: the signed-in account presenting the one-time token the server
 * printed at start-up becomes the admin, once, and only while no admin exists.
 */
export function adminSetupRoutes(service: Service, setup: AdminSetup | null): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/api/admin-setup', ipLimit(service), async (c) => {
    const user = requireAccount(c);
    const { token } = await readJson(c, adminSetupBody);
    if (!setup?.open()) {
      throw new ApiError(
        410,
        'setup_closed',
        'no admin setup is open: the link was used, or an admin existed when the server started; the operator can run `pnpm rag admin grant <email>`',
      );
    }
    if (!setup.take(token)) {
      service.logger.warn({ ip: c.get('ip'), userId: user.id }, 'admin setup: wrong token');
      throw new ApiError(403, 'bad_setup_token', 'this is not the setup token the server printed');
    }
    try {
      await claimFirstAdmin(service.db, user.id);
    } catch (err) {
      // A store failure should not burn the link; "an admin exists" closes it for good.
      if (!(err instanceof AccountError)) setup.giveBack();
      throw err;
    }
    service.logger.info({ userId: user.id, ip: c.get('ip') }, 'admin claimed with the setup link');
    return c.json({ user: { ...user, isAdmin: true } });
  });

  return app;
}

import { Hono } from 'hono';
import { fileProblemReport } from '../../../conversations/report.ts';
import type { AppEnv, Service } from '../../context.ts';
import { ipLimit } from '../../middleware/ip-limit.ts';
import { actingUser, readingUser } from '../../middleware/session.ts';
import { readJson } from '../../validate.ts';
import { issueBody } from './schema.ts';

/** "Report a problem": files an issue on the forge (GitHub or the local one the factory reads). */
export function issueRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, forge, clock, logger } = service;

  app.post('/api/issues', ipLimit(service), async (c) => {
    readingUser(c); // 401 before anything else when anonymous mode is off
    const body = await readJson(c, issueBody);
    const user = await actingUser(c);
    const issue = await fileProblemReport({ db, forge, logger }, body, {
      id: user.id,
      at: clock(),
      logContext: { requestId: c.get('requestId') },
    });
    logger.info({ issue: issue.number, userId: user.id }, 'problem report filed');
    return c.json({ number: issue.number, url: issue.url }, 201);
  });

  return app;
}

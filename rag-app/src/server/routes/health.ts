import { Hono } from 'hono';
import type { AppEnv, Service } from '../context.ts';
import { errorBody } from '../http-errors.ts';

export function healthRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/healthz', (c) => c.json({ ok: true }));

  /** Ready when the store answers and the corpus is loaded. */
  app.get('/readyz', async (c) => {
    try {
      await service.db.query('SELECT 1');
      const stats = await service.rag.stats();
      if (stats.videos === 0) {
        return c.json(errorBody('corpus_empty', 'the store is reachable but holds no videos yet'), 503);
      }
      return c.json({ ready: true, ...stats });
    } catch (err) {
      service.logger.warn({ err }, 'readiness check failed');
      return c.json(errorBody('store_unreachable', 'the store is not reachable'), 503);
    }
  });

  return app;
}

import path from 'node:path';
import { Hono } from 'hono';
import { ping } from '../../../store/stats.ts';
import type { AppEnv, Service } from '../../context.ts';
import { errorBody } from '../../errors.ts';

export function healthRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { config } = service;
  const corpusDir = config.CORPUS_DIR ? path.resolve(service.cwd, config.CORPUS_DIR) : null;

  app.get('/healthz', (c) => c.json({ ok: true }));

  /**
   * Ready when the store answers and the library is whole: with CORPUS_DIR set, only once a load
   * of it has finished (a partial library after a crash is not ready; it is being resumed).
   */
  app.get('/readyz', async (c) => {
    let stats: { videos: number; chunks: number };
    try {
      await ping(service.db);
      stats = await service.rag.stats();
    } catch (err) {
      service.logger.warn({ err }, 'readiness check failed');
      return c.json(errorBody('store_unreachable', 'the store is not reachable'), 503);
    }
    const boot = corpusDir ? await service.syncer.bootstrapState(corpusDir).catch(() => null) : null;
    if (boot?.state === 'loading') {
      return c.json(
        {
          ...errorBody(
            'corpus_loading',
            `loading the corpus: ${boot.done} files read so far, ${stats.videos} videos in the store (sync run ${boot.runId})`,
          ),
          ...stats,
          loaded: boot.done,
        },
        503,
      );
    }
    if (boot?.state === 'pending') {
      return c.json(
        {
          ...errorBody(
            'corpus_incomplete',
            `the load of CORPUS_DIR has not finished (${stats.videos} videos in the store); it resumes on its own`,
          ),
          ...stats,
        },
        503,
      );
    }
    if (stats.videos === 0) {
      return c.json(errorBody('corpus_empty', 'the store is reachable but holds no videos yet'), 503);
    }
    const modelAnswers = service.modelBudget ? await service.modelBudget.status(service.clock()) : null;
    return c.json({ ready: true, ...stats, ...(modelAnswers ? { modelAnswers } : {}) });
  });

  return app;
}

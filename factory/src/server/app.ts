import { Hono } from 'hono';
import type { RunReader } from '../runs/types.ts';
import { createWatchApp, type WatchOptions } from '../watch/app.ts';
import type { StoreAccess } from './store.ts';

/**
 * The factory's HTTP server: the public watch page at `/`, health at `/healthz` and `/readyz`, and —
 * when a webhook secret is configured — GitHub's webhook intake at `/webhooks/github`. The raw
 * status endpoint of the store (runs/status-server.ts) is not exposed here: it stays on 127.0.0.1
 * behind its owner's token; the public reads the redacted `/api/…` of the watch app.
 */

/** The webhook intake's routes (intake/webhook.ts createWebhookRoutes), mounted at /webhooks/github. */
export type WebhookRoutes = Hono;

export interface FactoryAppOptions {
  watch: WatchOptions;
  /** How the store is read (for /readyz). */
  access: () => StoreAccess | null;
  webhooks?: WebhookRoutes;
}

export const WEBHOOK_PATH = '/webhooks/github';

export function createFactoryApp(options: FactoryAppOptions): Hono {
  const app = new Hono();
  const reader: RunReader = options.watch.reader;
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await reader.listRuns({ limit: 1 });
      return c.json({ ok: true, store: options.access(), webhooks: options.webhooks !== undefined });
    } catch (err) {
      return c.json({ ok: false, error: (err as Error).message.split('\n')[0] }, 503);
    }
  });
  // Mounted before the watch app, whose read-only guard refuses every POST.
  if (options.webhooks) app.route(WEBHOOK_PATH, options.webhooks);
  app.route('/', createWatchApp(options.watch));
  return app;
}

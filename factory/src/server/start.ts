import type { AddressInfo } from 'node:net';
import type { Forge } from '@dark-factory/forge';
import { type ServerType, serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { resolveHoldoutDir } from '../policy/holdout.ts';
import { loadPolicyFromRef } from '../policy/load.ts';
import { redact, secretValues } from '../redact.ts';
import type { RunStore } from '../runs/types.ts';
import type { Budgets } from '../watch/figures.ts';
import { holdoutStrings } from '../watch/redaction.ts';
import { createFactoryApp, type WebhookRoutes } from './app.ts';
import { openServerStore, type StoreAccess } from './store.ts';

/** Binds the factory's server: the store, the policy's budgets, the holdout's texts, the forge. */

export interface StartServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  env: Record<string, string | undefined>;
  /** The embedded store's directory (FACTORY_STORE_DIR); unused with DATABASE_URL. */
  storeDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema (tests). */
  schema?: string;
  /** The repository whose base branch holds mission.md (budgets, holdout); null: none. */
  repo: string | null;
  base: string;
  forge: Forge | null;
  logger: Logger;
  /**
   * What runs beside the pages in this process (`serve`: the webhook intake when
   * FACTORY_WEBHOOK_SECRET is set, the in-process worker and poller with `--worker`/`--poll`): given
   * the store when this process holds it (null while it reads through another owner), it returns
   * the routes mounted at /webhooks/github (if any), lines for the operator, and what to stop on
   * shutdown — before the store closes, so a worker can still hand its runs back.
   */
  attach?: (deps: { store: RunStore | null; secrets: readonly string[] }) => Promise<AttachedServices>;
  /** Live streams' poll period (tests make it short). */
  pollMs?: number;
}

export interface AttachedServices {
  routes?: WebhookRoutes;
  notes?: string[];
  close(): Promise<void>;
}

export interface RunningServer {
  url: string;
  port: number;
  access(): StoreAccess | null;
  /** What the server found at start, one line each, for the operator. */
  notes: string[];
  close(): Promise<void>;
}

/** The URL a person can open: a wildcard bind is reached through localhost. */
export function publicUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function listen(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number) {
  return new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info: AddressInfo) => {
      server.off('error', reject);
      resolve({ server, port: info.port });
    });
    server.once('error', reject);
  });
}

export async function startFactoryServer(o: StartServerOptions): Promise<RunningServer> {
  const log = o.logger.child({ module: 'server' });
  const secrets = secretValues(o.env);
  const notes: string[] = [];
  const store = await openServerStore({
    databaseUrl: o.databaseUrl,
    dataDir: o.storeDir,
    logger: log,
    secrets,
    ...(o.schema ? { schema: o.schema } : {}),
  });
  try {
    const repo = o.repo;
    const budgets = repo
      ? async (): Promise<Budgets> => {
          const { policy } = await loadPolicyFromRef(repo, o.base);
          return {
            dayUsd: policy.budgets.day.usd,
            dayRuns: policy.budgets.day.runs,
            runUsd: policy.budgets.run.usd,
          };
        }
      : undefined;
    if (!repo) notes.push('no git repository here: spend is shown without the budget of mission.md');

    let holdout: string[] = [];
    try {
      const policy = repo ? (await loadPolicyFromRef(repo, o.base)).policy : { holdout: undefined };
      const dir = resolveHoldoutDir(policy, o.env, repo ?? process.cwd());
      if (dir) {
        holdout = await holdoutStrings(dir);
        notes.push(`the sealed holdout's ${holdout.length} texts are kept off every page`);
      }
    } catch (err) {
      notes.push(
        `holdout not read (${redact((err as Error).message.split('\n')[0] ?? '', secrets)}); its results are shown as aggregates only`,
      );
    }

    const forge = o.forge;
    const issueOpenedAt = forge
      ? async (issue: number) => new Date((await forge.getIssue(issue)).createdAt)
      : undefined;
    const attached = o.attach ? await o.attach({ store: store.writer(), secrets }) : undefined;
    if (attached?.routes) notes.push('GitHub webhooks at /webhooks/github');
    notes.push(...(attached?.notes ?? []));
    const app = createFactoryApp({
      access: store.access,
      ...(attached?.routes ? { webhooks: attached.routes } : {}),
      watch: {
        reader: store.reader,
        ...(budgets ? { budgets } : {}),
        ...(issueOpenedAt ? { issueOpenedAt } : {}),
        secrets,
        holdout,
        logger: log,
        ...(o.pollMs ? { pollMs: o.pollMs } : {}),
      },
    });
    let bound: Awaited<ReturnType<typeof listen>>;
    try {
      bound = await listen(app.fetch, o.host, o.port);
    } catch (err) {
      await attached?.close().catch(() => undefined);
      throw err;
    }
    const { server, port } = bound;
    let closing: Promise<void> | undefined;
    return {
      url: publicUrl(o.host, port),
      port,
      access: store.access,
      notes,
      close: () => {
        closing ??= new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          // Live streams and keep-alive sockets would hold close() forever.
          if ('closeAllConnections' in server) server.closeAllConnections();
        })
          .finally(() => attached?.close())
          .finally(() => store.close());
        return closing;
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

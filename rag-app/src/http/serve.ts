import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { forgeFromEnv } from '@dark-factory/forge';
import { createAdminSetup, setupLine } from '../accounts/admin-setup.ts';
import { anyAdmin } from '../accounts/admins.ts';
import { scheduleCleanup } from '../accounts/retention.ts';
import type { Config } from '../config.ts';
import { logger as rootLogger } from '../log.ts';
import { openRag } from '../open.ts';
import type { Rag } from '../rag.ts';
import { migrate } from '../store/migrate.ts';
import { SyncError } from '../sync/errors.ts';
import { parseSyncSources } from '../sync/plan.ts';
import { defaultSources } from '../sync/sources.ts';
import { createSyncer, type Syncer } from '../sync/syncer.ts';
import { createApp, newInstanceId } from './app.ts';
import type { Clock, IssueForge, SourceFactory } from './context.ts';
import { startServer } from './listen.ts';
import { watchLaunchers } from './parent-watch.ts';
import { localRoutes } from './routes/local/routes.ts';

export { createApp } from './app.ts';
export { startServer } from './listen.ts';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Where a process on this machine reaches a server bound to `host`. */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

export interface RunOptions {
  forge?: IssueForge;
  sources?: SourceFactory;
  clock?: Clock;
  /** Where the "listening on" line (and the admin setup link, when no admin exists) go; stdout by default. */
  print?: (line: string) => void;
  /** Base for relative CORPUS_DIR / SYNC_SOURCES paths: the directory pnpm was run from, by default. */
  cwd?: string;
  /** How often an unfinished first load of CORPUS_DIR is tried again while another process holds the lease. */
  bootstrapRetryMs?: number;
}

/**
 * Loads CORPUS_DIR until one load of it has finished: at start-up (serving at once, /readyz says
 * when it is in), and again every `retryMs` while it could not start (another process holds the
 * ingest lease). A load that died midway (kill -9, a crash) is simply run again at the next start:
 * videos already in are skipped by their content hash, so it resumes where it stopped.
 */
function keepBootstrapping(syncer: Syncer, dir: string, retryMs: number) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async () => {
    try {
      const state = await syncer.bootstrapState(dir);
      if (state.state === 'complete') return;
      if (state.state === 'pending') await syncer.start('bootstrap', { refs: [], dirs: [dir] });
      // Started, or running elsewhere: the next look sees it finished, or dead and still to do.
    } catch (err) {
      if (!(err instanceof SyncError && err.code === 'sync_busy'))
        log.warn({ err }, 'corpus bootstrap not started');
    }
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs).unref();
  };
  return {
    first: attempt(),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

const log = rootLogger.child({ component: 'server' });

/**
 * Serves `rag` over HTTP on config.HOST:config.PORT, runs the scheduled sync, and loads
 * CORPUS_DIR in the background until one load of it has finished. Closing stops both; `rag` stays open.
 */
export async function runServer(config: Config, rag: Rag, options: RunOptions = {}): Promise<RunningServer> {
  await migrate(rag.db);
  const clock = options.clock ?? (() => new Date());
  const cwd = options.cwd ?? process.env.INIT_CWD ?? process.cwd();
  const forge =
    options.forge ??
    forgeFromEnv(
      {
        GITHUB_TOKEN: config.GITHUB_TOKEN,
        GITHUB_REPOSITORY: config.GITHUB_REPOSITORY,
        GITHUB_API_URL: config.GITHUB_API_URL,
      },
      { localDir: config.forgeDir },
    );
  const sources = options.sources ?? defaultSources({ timeoutMs: config.FETCH_TIMEOUT_MS });
  const syncer = createSyncer({ db: rag.db, rag, sources, clock, logger: log, holder: newInstanceId() });
  // No admin yet: a one-time link (printed below, held only in memory) lets the operator claim it.
  const adminSetup = (await anyAdmin(rag.db)) ? null : createAdminSetup();
  const app = createApp({
    rag,
    db: rag.db,
    forge,
    config,
    sources,
    clock,
    logger: log,
    syncer,
    cwd,
    adminSetup,
  });
  // An embedded store on disk is ours alone: the CLI beside us goes through this local API instead.
  const owner = rag.db.owner;
  const localToken = owner ? randomBytes(32).toString('hex') : undefined;
  if (localToken) app.route('/', localRoutes({ rag, db: rag.db, syncer, logger: log }, localToken));
  const http = await startServer(app, { port: config.PORT, host: config.HOST });
  if (owner && localToken) {
    // Published before the "listening" line, so whoever waits for that line finds it.
    await owner.publish({ url: http.url, api: { url: localUrl(config.HOST, http.port), token: localToken } });
  }

  // Idle guests (GUEST_RETENTION_DAYS) and stale sign-in failures go, at start and hourly.
  const cleanup = scheduleCleanup({
    db: rag.db,
    clock,
    logger: log,
    guestRetentionDays: config.GUEST_RETENTION_DAYS,
  });
  syncer.schedule(config.SYNC_INTERVAL_MINUTES, async () => parseSyncSources(config.SYNC_SOURCES, cwd));
  const bootstrap = config.CORPUS_DIR
    ? keepBootstrapping(syncer, path.resolve(cwd, config.CORPUS_DIR), options.bootstrapRetryMs ?? 60_000)
    : null;
  await bootstrap?.first;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  print(`rag-app listening on ${http.url}`);
  // On stdout only, never in the JSON logs: the token is a credential.
  if (adminSetup) print(setupLine(http.url, adminSetup));
  log.info(
    { url: http.url, anonymous: config.ALLOW_ANONYMOUS, adminSetupOpen: adminSetup !== null },
    'server started',
  );

  return {
    url: http.url,
    port: http.port,
    async close() {
      bootstrap?.stop();
      cleanup.stop();
      await http.close();
      // An ingestion cannot be interrupted midway; its lease expires on its own if we leave early.
      await Promise.race([syncer.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}

/** `pnpm rag serve` / `pnpm start`: opens the store from config and serves until SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<RunningServer> {
  const rag = await openRag(config);
  let running: RunningServer;
  try {
    running = await runServer(config, rag);
  } catch (err) {
    await rag.close().catch(() => undefined);
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= running.close().finally(() => rag.close());
    return closing;
  };
  const shutdown = (why: Record<string, unknown>) => {
    log.info(why, 'shutting down');
    close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // `kill -9` of `pnpm start` reaches no child: when our launcher dies, we stop too.
  const stopWatching = watchLaunchers((gone) =>
    shutdown({ launcherGone: gone.pid, argv: gone.argv.slice(0, 3) }),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopWatching();
      log.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return { url: running.url, port: running.port, close };
}

import { once } from 'node:events';
import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { FactoryError } from '../../errors.ts';
import type { WebhookRoutes } from '../../server/app.ts';
import type { StartServerOptions } from '../../server/start.ts';
import type { CliContext } from '../context.ts';

/**
 * `pnpm factory serve`: the factory's server — the public watch page (runs live, timelines,
 * merges, spend, scoreboard, JSON behind every page) and, when FACTORY_WEBHOOK_SECRET is set, the
 * GitHub webhook at /webhooks/github — until SIGINT or SIGTERM (then it stops taking connections,
 * ends the live streams and closes the store).
 */

export const DEFAULT_PORT = 8787;
/** Names this process to another opener of the embedded store or queue (server/store.ts says the same). */
const SERVER_LABEL = 'pnpm factory serve';
export const DEFAULT_HOST = '127.0.0.1';

export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value.trim()) || !Number.isInteger(n) || n > 65535) {
    throw new InvalidArgumentError('expected a port number (0-65535; 0 picks a free one)');
  }
  return n;
}

function fromEnv(ctx: CliContext, name: string): string | undefined {
  const value = ctx.env[name]?.trim();
  return value ? value : undefined;
}

interface ServeOptions {
  port?: number;
  host?: string;
  repo?: string;
  base: string;
  worker?: boolean;
  concurrency: number;
  poll?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'serve the public watch page (runs, timelines, merges, spend, scoreboard; JSON under /api) and, with ' +
        'FACTORY_WEBHOOK_SECRET set, the GitHub webhook at /webhooks/github, until Ctrl-C',
    )
    .option(
      '--port <n>',
      `port to listen on (env FACTORY_PORT; default ${DEFAULT_PORT}; 0: any free port)`,
      portNumber,
    )
    .option(
      '--host <address>',
      `address to bind (env FACTORY_HOST; default ${DEFAULT_HOST}; 0.0.0.0: every interface)`,
    )
    .option('--repo <dir>', 'repository whose base branch holds mission.md (default: the git top level here)')
    .option('--base <branch>', 'the base branch (budgets and holdout are read from its mission.md)', 'main')
    .option(
      '--worker',
      'also run the worker in this process (jobs from the queue through the engine); on the embedded store, ' +
        'the one way to serve and work at once',
    )
    .option('--concurrency <n>', 'with --worker: jobs run at once', positiveInt, 1)
    .option('--poll', 'also run the polling intake in this process (every FACTORY_POLL_SECONDS, default 60)')
    .action(async (opts: ServeOptions) => {
      if (opts.concurrency !== 1 && !opts.worker) {
        throw new FactoryError('usage', '--concurrency is for --worker');
      }
      let pollSeconds = 60;
      if (opts.poll) {
        const raw = fromEnv(ctx, 'FACTORY_POLL_SECONDS') ?? '60';
        pollSeconds = Number(raw);
        if (!Number.isFinite(pollSeconds) || pollSeconds < 5 || pollSeconds > 86_400) {
          throw new FactoryError('usage', `FACTORY_POLL_SECONDS=${raw} is not between 5 and 86400 seconds`);
        }
      }
      const envPort = fromEnv(ctx, 'FACTORY_PORT');
      let port = opts.port ?? DEFAULT_PORT;
      if (opts.port === undefined && envPort !== undefined) {
        try {
          port = portNumber(envPort);
        } catch {
          throw new FactoryError('usage', `FACTORY_PORT=${envPort} is not a port number (0-65535)`);
        }
      }
      const host = opts.host ?? fromEnv(ctx, 'FACTORY_HOST') ?? DEFAULT_HOST;
      const webhookSecret = fromEnv(ctx, 'FACTORY_WEBHOOK_SECRET');
      const [{ startFactoryServer }, { cliLogger, factoryDirs }, { repoTopLevel }] = await Promise.all([
        import('../../server/start.ts'),
        import('../engine.ts'),
        import('../../workspace/git.ts'),
      ]);
      const path = await import('node:path');
      const repo = opts.repo
        ? path.resolve(ctx.cwd, opts.repo)
        : await repoTopLevel(ctx.cwd).catch(() => null);
      const { storeDir } = factoryDirs(ctx.env, ctx.cwd);
      const logger = cliLogger(ctx.env);
      const attach = attachServices({
        ctx,
        webhookSecret,
        worker: Boolean(opts.worker),
        concurrency: opts.concurrency,
        poll: Boolean(opts.poll),
        pollSeconds,
        repo,
        base: opts.base,
        logger,
      });
      const server = await startFactoryServer({
        host,
        port,
        env: ctx.env,
        storeDir,
        databaseUrl: fromEnv(ctx, 'DATABASE_URL'),
        repo,
        base: opts.base,
        forge: ctx.forge(),
        logger,
        ...(attach ? { attach } : {}),
      });
      const access = server.access();
      ctx.out(`factory serve: watch the factory on ${server.url}`);
      ctx.err(
        `factory serve: store ${
          access === null
            ? `${storeDir} (its owner is starting; read on the first visit)`
            : access.kind === 'postgres'
              ? 'PostgreSQL (DATABASE_URL)'
              : access.via === 'direct'
                ? `${access.dir} (owned by this server)`
                : `${access.dir} through its owner, pid ${access.owner.pid}${access.owner.label ? ` (${access.owner.label})` : ''}`
        }`,
      );
      for (const note of server.notes) ctx.err(`factory serve: ${note}`);

      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        ctx.err(`factory serve: ${signal}: shutting down`);
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await once(stop.signal, 'abort');
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await server.close();
      ctx.err('factory serve: stopped');
    });
}

interface AttachOptions {
  ctx: CliContext;
  webhookSecret: string | undefined;
  worker: boolean;
  concurrency: number;
  poll: boolean;
  pollSeconds: number;
  repo: string | null;
  base: string;
  logger: Logger;
}

/**
 * What runs beside the pages: the GitHub webhook (intake/webhook.ts) when FACTORY_WEBHOOK_SECRET is
 * set, the in-process worker (`--worker`) and the polling intake (`--poll`). They share one queue
 * (the environment's: pg-boss on PostgreSQL, or the embedded one this process then owns) and the
 * run store this process must hold (PostgreSQL, or the embedded store it owns): the webhook records
 * deliveries there, the worker its runs, the poller its cursors. On the embedded default this is
 * how one process does everything its single owner allows.
 */
function attachServices(o: AttachOptions): StartServerOptions['attach'] {
  const uses = [
    ...(o.webhookSecret ? ['the webhook'] : []),
    ...(o.worker ? ['--worker'] : []),
    ...(o.poll ? ['--poll'] : []),
  ];
  if (uses.length === 0) return undefined;
  const what = uses.join(' and ');
  return async ({ store, secrets }) => {
    if (!o.repo) {
      throw new FactoryError(
        'usage',
        `${what} needs the repository (mission.md on its base branch): run serve inside it or pass --repo`,
      );
    }
    if (!store) {
      throw new FactoryError(
        'usage',
        `${what} needs the run store, which another process holds: stop that process (serve --worker does its work in this one), or use DATABASE_URL`,
      );
    }
    const repo = o.repo;
    const [{ loadPolicyFromRef }, { openQueueFromEnv, startIssueWorker }] = await Promise.all([
      import('../../policy/load.ts'),
      import('./worker.ts'),
    ]);
    const { policy } = await loadPolicyFromRef(repo, o.base);
    const { queue, settings } = await openQueueFromEnv(o.ctx, o.logger, SERVER_LABEL);
    // Stopped last to first: the poller and the worker before the queue they use.
    const stops: (() => Promise<void>)[] = [() => queue.close()];
    const notes: string[] = [];
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        for (const stop of [...stops].reverse()) {
          await stop().catch((err: unknown) => o.logger.error({ err }, 'could not stop a service'));
        }
      })();
      return closing;
    };
    try {
      let routes: WebhookRoutes | undefined;
      if (o.webhookSecret) {
        const { createWebhookRoutes } = await import('../../intake/webhook.ts');
        routes = createWebhookRoutes({
          secret: o.webhookSecret,
          queue,
          forge: o.ctx.forge(),
          policy,
          store,
          logger: o.logger,
          secrets,
        });
      }
      if (o.worker) {
        const { openEngine } = await import('../engine.ts');
        // One lease for the job and the run, as `pnpm factory worker` has it.
        const engine = await openEngine({
          env: { ...o.ctx.env, FACTORY_LEASE_SECONDS: String(settings.leaseSeconds) },
          cwd: o.ctx.cwd,
          repo,
          base: o.base,
          progress: (line) => o.ctx.err(`factory serve: worker: ${line}`),
          needsModel: true,
          label: SERVER_LABEL,
          store,
        });
        stops.push(() => engine.close());
        const worker = await startIssueWorker({ queue, deps: engine.deps, concurrency: o.concurrency });
        stops.push(() => worker.stop());
        notes.push(
          `the in-process worker takes jobs from the ${queue.kind === 'pglite' ? 'embedded' : 'PostgreSQL'} queue (concurrency ${o.concurrency})`,
        );
      }
      if (o.poll) {
        const [{ forgeFromEnv }, { forgeDirFromEnv }, { FACTORY_LOGIN }, { runPoller }, { reportLines }] =
          await Promise.all([
            import('@dark-factory/forge'),
            import('../context.ts'),
            import('../engine.ts'),
            import('../../intake/poll.ts'),
            import('./poll.ts'),
          ]);
        // The factory's own identity on the local forge, so that its own comments are ignored.
        const forge = forgeFromEnv(o.ctx.env, {
          localDir: forgeDirFromEnv(o.ctx.env, o.ctx.cwd),
          logger: o.logger,
          author: FACTORY_LOGIN,
        });
        const stop = new AbortController();
        const polling = runPoller(
          { queue, forge, policy, store, logger: o.logger.child({ module: 'poll' }), secrets },
          {
            intervalMs: o.pollSeconds * 1000,
            signal: stop.signal,
            onPoll: (report) => {
              for (const line of reportLines(report)) o.ctx.err(`factory serve: poll: ${line}`);
            },
            onError: (err, retryInMs) => {
              const message = err instanceof Error ? err.message : String(err);
              o.ctx.err(
                `factory serve: poll failed (${message}); next try in ${Math.round(retryInMs / 1000)} s`,
              );
            },
          },
        );
        stops.push(async () => {
          stop.abort();
          await polling;
        });
        notes.push(
          `polling ${forge.kind === 'github' ? 'GitHub' : 'the local forge'} every ${o.pollSeconds} s`,
        );
      }
      return { ...(routes ? { routes } : {}), notes, close };
    } catch (err) {
      await close();
      throw err;
    }
  };
}

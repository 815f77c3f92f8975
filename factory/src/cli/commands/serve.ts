import { once } from 'node:events';
import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { FactoryError } from '../../errors.ts';
import type { RunStore } from '../../runs/types.ts';
import type { WebhookRoutes } from '../../server/app.ts';
import type { CliContext } from '../context.ts';

/**
 * `pnpm factory serve`: the factory's server — the public watch page (runs live, timelines,
 * merges, spend, scoreboard, JSON behind every page) and, when FACTORY_WEBHOOK_SECRET is set, the
 * GitHub webhook at /webhooks/github — until SIGINT or SIGTERM (then it stops taking connections,
 * ends the live streams and closes the store).
 */

export const DEFAULT_PORT = 8787;
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
    .action(async (opts: { port?: number; host?: string; repo?: string; base: string }) => {
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
        ...(webhookSecret
          ? { webhooks: webhookIntake({ ctx, secret: webhookSecret, repo, base: opts.base, logger }) }
          : {}),
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

/**
 * The GitHub webhook (intake/webhook.ts) with what it needs: the base branch's policy (its
 * `triggers`), the queue the environment names, the forge, and the run store — which this process
 * must hold (PostgreSQL, or the embedded store it owns): replays are refused by the deliveries it
 * records there.
 */
function webhookIntake(o: {
  ctx: CliContext;
  secret: string;
  repo: string | null;
  base: string;
  logger: Logger;
}): (deps: { store: RunStore | null; secrets: readonly string[] }) => Promise<{
  routes: WebhookRoutes;
  close(): Promise<void>;
}> {
  return async ({ store, secrets }) => {
    if (!o.repo) {
      throw new FactoryError(
        'usage',
        "the webhook needs mission.md's triggers: run serve inside the repository or pass --repo",
      );
    }
    if (!store) {
      throw new FactoryError(
        'usage',
        'the webhook records deliveries in the run store, which another process holds: stop it, or use DATABASE_URL',
      );
    }
    const [{ loadPolicyFromRef }, { createWebhookRoutes }, { openQueueFromEnv }] = await Promise.all([
      import('../../policy/load.ts'),
      import('../../intake/webhook.ts'),
      import('./worker.ts'),
    ]);
    const { policy } = await loadPolicyFromRef(o.repo, o.base);
    const { queue } = await openQueueFromEnv(o.ctx, o.logger, 'pnpm factory serve');
    try {
      const routes = createWebhookRoutes({
        secret: o.secret,
        queue,
        forge: o.ctx.forge(),
        policy,
        store,
        logger: o.logger,
        secrets,
      });
      return { routes, close: () => queue.close() };
    } catch (err) {
      await queue.close().catch(() => undefined);
      throw err;
    }
  };
}

import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type pino from 'pino';
import type { EngineDeps } from '../../engine/deps.ts';
import type { OpenedJobQueue } from '../../queue/open.ts';
import type { QueueSettings } from '../../queue/settings.ts';
import type { JobQueue } from '../../queue/types.ts';
import type { CliContext, Env } from '../context.ts';
import { ExitCode } from '../errors.ts';

/** `<DATA_DIR>/factory/queue`, or FACTORY_QUEUE_DIR: the embedded queue (used without DATABASE_URL). */
export function queueDirFromEnv(env: Env, cwd: string): string {
  const dataDir = path.resolve(cwd, env.DATA_DIR?.trim() || '.data');
  return path.resolve(cwd, env.FACTORY_QUEUE_DIR?.trim() || path.join(dataDir, 'factory', 'queue'));
}

/** Opens the queue the environment names (loaded on use, so `--help` stays fast). */
export async function openQueueFromEnv(
  ctx: CliContext,
  logger: pino.Logger,
  label: string,
): Promise<{ queue: OpenedJobQueue; settings: QueueSettings }> {
  const [{ openJobQueue }, { queueSettingsFromEnv }] = await Promise.all([
    import('../../queue/open.ts'),
    import('../../queue/settings.ts'),
  ]);
  const settings = queueSettingsFromEnv(ctx.env);
  const queue = await openJobQueue({
    databaseUrl: ctx.env.DATABASE_URL?.trim() || undefined,
    dir: queueDirFromEnv(ctx.env, ctx.cwd),
    settings,
    logger,
    label,
    ...(ctx.env.FACTORY_QUEUE_SCHEMA?.trim() ? { schema: ctx.env.FACTORY_QUEUE_SCHEMA.trim() } : {}),
  });
  return { queue, settings };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

interface WorkerOptions {
  concurrency: number;
  once?: boolean;
  repo?: string;
  base: string;
}

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'take issue jobs from the queue and run the engine for each (DATABASE_URL: pg-boss on PostgreSQL, ' +
        'shared by every worker on every machine; else the embedded queue, one worker). Logs with pino on ' +
        'stderr (LOG_LEVEL, default info); SIGTERM releases the job in hand to another worker',
    )
    .option('--concurrency <n>', 'jobs run at once by this process', positiveInt, 1)
    .option('--once', 'run the jobs that are ready now, then exit')
    .option('--repo <dir>', 'repository to work on (default: the git top level of the current directory)')
    .option('--base <branch>', 'branch to start from and merge into', 'main')
    .action(async (opts: WorkerOptions) => {
      const { openEngine, cliLogger } = await import('../engine.ts');
      const env: Env = { ...ctx.env, LOG_LEVEL: ctx.env.LOG_LEVEL?.trim() || 'info' };
      const logger = cliLogger(env).child({ module: 'worker' });
      const { queue, settings } = await openQueueFromEnv({ ...ctx, env }, logger, 'pnpm factory worker');
      let engine: Awaited<ReturnType<typeof openEngine>>;
      try {
        // One lease for the job and the run: both lapse together when this process dies.
        engine = await openEngine({
          env: { ...env, FACTORY_LEASE_SECONDS: String(settings.leaseSeconds) },
          cwd: ctx.cwd,
          ...(opts.repo ? { repo: opts.repo } : {}),
          base: opts.base,
          progress: (line) => logger.info(line),
          needsModel: true,
          label: 'pnpm factory worker',
        });
      } catch (err) {
        await queue.close();
        throw err;
      }
      let worker: Awaited<ReturnType<typeof startIssueWorker>>;
      try {
        worker = await startIssueWorker({ queue, deps: engine.deps, concurrency: opts.concurrency });
      } catch (err) {
        await queue.close().catch(() => undefined);
        await engine.close();
        throw err;
      }
      logger.info(
        {
          queue: queue.kind,
          concurrency: opts.concurrency,
          leaseSeconds: settings.leaseSeconds,
          once: Boolean(opts.once),
        },
        'worker ready',
      );
      let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
      const stopped = new Promise<void>((resolve) => {
        let signals = 0;
        onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals > 1) {
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(130);
          }
          logger.info(
            { signal, inHand: worker.inHand() },
            'stopping: the jobs in hand are released to another worker',
          );
          resolve();
        };
        // `on`, not `once`: the second signal must reach the handler too, until the worker is done.
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        if (opts.once) void drained(queue, worker.inHand).then(resolve);
      });
      try {
        await stopped;
        await worker.stop();
      } finally {
        // A `--once` pass that drained leaves no listener behind (the CLI may run in a longer process).
        if (onSignal) {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
        await queue.close();
        await engine.close();
      }
      const failures = worker.failures();
      logger.info({ failures }, 'worker exited');
      if (opts.once && failures > 0) throw new ExitCode(1);
    });
}

/**
 * The engine's handler on the queue, counting the jobs in hand and the failures. `stop()` stops
 * taking jobs and hands the ones in hand back (their runs' leases released, the jobs ready for
 * another worker without using a retry).
 */
export async function startIssueWorker(options: {
  queue: JobQueue;
  deps: EngineDeps;
  concurrency: number;
}): Promise<{ inHand(): number; failures(): number; stop(): Promise<void> }> {
  const { createIssueJobHandler } = await import('../../queue/handler.ts');
  let inHand = 0;
  let failures = 0;
  const run = createIssueJobHandler(options.deps);
  const handle = await options.queue.work(
    async (job, jobCtx) => {
      inHand++;
      try {
        await run(job, jobCtx);
      } catch (err) {
        failures++;
        throw err;
      } finally {
        inHand--;
      }
    },
    { concurrency: options.concurrency },
  );
  return { inHand: () => inHand, failures: () => failures, stop: () => handle.stop() };
}

/** Resolves once nothing is ready in the queue and this process holds no job, twice in a row. */
async function drained(queue: OpenedJobQueue, inHand: () => number): Promise<void> {
  let idle = 0;
  while (idle < 2) {
    await new Promise((r) => setTimeout(r, 500));
    const now = Date.now();
    const ready = (await queue.pending()).filter(
      (j) => j.state !== 'active' && j.startAfter.getTime() <= now,
    );
    idle = inHand() === 0 && ready.length === 0 ? idle + 1 : 0;
  }
}

import { type Command, InvalidArgumentError } from 'commander';
import type { PollReport } from '../../intake/poll.ts';
import type { CliContext, Env } from '../context.ts';
import { json, jsonOption } from './args.ts';

interface PollOptions {
  once?: boolean;
  interval?: number;
  repo?: string;
  base: string;
  json?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 5 || n > 86_400)
    throw new InvalidArgumentError('expected seconds between 5 and 86400');
  return n;
}

/**
 * `pnpm factory poll [--once] [--interval S]`: the polling intake for a factory without a public
 * webhook URL. Each poll lists the issues and comments changed since the last one with the last
 * answer's ETag (an unchanged listing is a 304: free of GitHub's rate limit), then enqueues or
 * answers each change like a webhook delivery. The cursor lives in the run store, so a restart
 * neither repeats nor misses a change.
 */
export function registerPoll(program: Command, ctx: CliContext): void {
  program
    .command('poll')
    .description(
      'the polling intake (no public webhook URL needed): queue new issues and answer /factory comments, ' +
        'asking the forge for changes with ETags so that an idle poll costs no rate limit; every ' +
        'FACTORY_POLL_SECONDS (default 60) until Ctrl-C',
    )
    .option('--once', 'poll once, then exit')
    .option('--interval <s>', 'seconds between polls (default FACTORY_POLL_SECONDS, else 60)', seconds)
    .option(
      '--repo <dir>',
      'repository whose mission.md decides who may trigger what (default: the git top level)',
    )
    .option('--base <branch>', 'branch the policy is read from', 'main')
    .addOption(jsonOption('the poll (with --once): { issues, comments, outcomes }'))
    .action(async (opts: PollOptions) => {
      const intervalS = opts.interval ?? seconds(ctx.env.FACTORY_POLL_SECONDS?.trim() || '60');
      const intake = await openIntake(ctx, opts);
      try {
        if (opts.once) {
          const report = await intake.pollOnce();
          if (opts.json) ctx.out(json(report));
          else for (const line of reportLines(report)) ctx.out(line);
          return;
        }
        ctx.err(`factory: polling ${intake.forgeName} every ${intervalS} s (Ctrl-C stops)`);
        const stop = new AbortController();
        const onSignal = () => {
          ctx.err('factory: poll: stopping');
          stop.abort();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await intake.run({
            intervalMs: intervalS * 1000,
            signal: stop.signal,
            onPoll: (report) => {
              for (const line of reportLines(report)) ctx.err(`factory: poll: ${line}`);
            },
            onError: (err, retryInMs) => {
              const message = err instanceof Error ? err.message : String(err);
              ctx.err(`factory: poll failed (${message}); next try in ${Math.round(retryInMs / 1000)} s`);
            },
          });
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
        }
      } finally {
        await intake.close();
      }
    });
}

/** The intake's dependencies from the environment: forge, policy (from the base branch), run store, queue. */
async function openIntake(ctx: CliContext, opts: PollOptions) {
  const [
    { forgeFromEnv },
    engine,
    { forgeDirFromEnv },
    { loadPolicyFromRef },
    runs,
    worker,
    poll,
    redact,
    git,
  ] = await Promise.all([
    import('@dark-factory/forge'),
    import('../engine.ts'),
    import('../context.ts'),
    import('../../policy/load.ts'),
    import('../../runs/index.ts'),
    import('./worker.ts'),
    import('../../intake/poll.ts'),
    import('../../redact.ts'),
    import('../../workspace/git.ts'),
  ]);
  const env: Env = ctx.env;
  const logger = engine.cliLogger(env).child({ module: 'poll' });
  const repo = opts.repo
    ? (await import('node:path')).resolve(ctx.cwd, opts.repo)
    : await git.repoTopLevel(ctx.cwd);
  const { policy } = await loadPolicyFromRef(repo, opts.base);
  // The factory's own identity (the local forge's author), so that its own comments are ignored.
  const forge = forgeFromEnv(env, {
    localDir: forgeDirFromEnv(env, ctx.cwd),
    logger,
    author: engine.FACTORY_LOGIN,
  });
  const secrets = redact.secretValues(env);
  const { storeDir } = engine.factoryDirs(env, ctx.cwd);
  const store = await runs.openRunStore({
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: storeDir,
    logger,
    label: 'pnpm factory poll',
    secrets,
  });
  let queue: Awaited<ReturnType<typeof worker.openQueueFromEnv>>['queue'];
  try {
    ({ queue } = await worker.openQueueFromEnv(ctx, logger, 'pnpm factory poll'));
  } catch (err) {
    await store.close();
    throw err;
  }
  const deps = { queue, forge, policy, store, logger, secrets };
  return {
    forgeName: forge.kind === 'github' ? 'GitHub' : 'the local forge',
    pollOnce: () => poll.pollOnce(deps),
    run: (options: Parameters<typeof poll.runPoller>[1]) => poll.runPoller(deps, options),
    close: async () => {
      await queue.close().catch(() => undefined);
      await store.close();
    },
  };
}

/** One line per listing, then one per change acted on. */
export function reportLines(report: PollReport): string[] {
  const listing = (name: string, l: PollReport['issues']) =>
    l.changed
      ? `${name}: ${l.handled} change(s) handled${l.skipped ? `, ${l.skipped} seen before` : ''}`
      : `${name}: not modified (free)`;
  return [
    listing('issues', report.issues),
    listing('comments', report.comments),
    ...report.outcomes.map((o) => `  ${o.source}: ${o.outcome}: ${o.detail}`),
  ];
}

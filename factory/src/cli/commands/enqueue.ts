import { type Command, Option } from 'commander';
import { IssueJobReasonSchema } from '../../queue/types.ts';
import { authorFromEnv, type CliContext } from '../context.ts';
import { itemNumber, json, jsonOption } from './args.ts';
import { openQueueFromEnv } from './worker.ts';

export function registerEnqueue(program: Command, ctx: CliContext): void {
  program
    .command('enqueue')
    .description('queue a job for an issue, for the workers (one job per issue: a second one is deduped)')
    .requiredOption('--issue <n>', 'issue number', itemNumber)
    .addOption(
      new Option('--reason <reason>', 'why (retry runs an issue the factory already decided)')
        .choices(IssueJobReasonSchema.options)
        .default('retry'),
    )
    .addOption(jsonOption('{ issue, jobId, deduped }'))
    .action(
      async (opts: {
        issue: number;
        reason: (typeof IssueJobReasonSchema.options)[number];
        json?: boolean;
      }) => {
        // A typo'd number fails here, not in a worker.
        const issue = await ctx.forge().getIssue(opts.issue);
        const { cliLogger } = await import('../engine.ts');
        const { queue } = await openQueueFromEnv(ctx, cliLogger(ctx.env), 'pnpm factory enqueue');
        try {
          const requestedBy = authorFromEnv(ctx.env);
          const result = await queue.enqueue({
            issue: issue.number,
            reason: opts.reason,
            source: 'cli',
            ...(requestedBy ? { requestedBy } : {}),
          });
          if (opts.json) ctx.out(json({ issue: issue.number, ...result }));
          else if (result.deduped)
            ctx.out(`issue #${issue.number} already has a job queued or running: nothing added`);
          else ctx.out(`queued job ${result.jobId} for issue #${issue.number} (${opts.reason})`);
          if (issue.state !== 'open')
            ctx.err(`factory: warning: issue #${issue.number} is ${issue.state}: a worker will skip it`);
        } finally {
          await queue.close();
        }
      },
    );
}

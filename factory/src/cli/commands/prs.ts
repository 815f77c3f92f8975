import type { ListPullRequestsQuery } from '@dark-factory/forge';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { pullRequestDetail, pullRequestsTable } from '../format.ts';
import { itemNumber, json, jsonOption, stateOption } from './args.ts';

export function registerPullRequests(program: Command, ctx: CliContext): void {
  const prs = program.command('prs').description('list and show pull requests');

  prs
    .command('list')
    .description('list pull requests, newest first (closed = closed without merging)')
    .addOption(stateOption(['open', 'closed', 'merged', 'all']))
    .addOption(jsonOption('the pull requests'))
    .action(async (opts: { state: NonNullable<ListPullRequestsQuery['state']>; json?: boolean }) => {
      const found = await ctx.forge().listPullRequests({ state: opts.state });
      if (opts.json) ctx.out(json(found));
      else if (found.length === 0) ctx.out(`no ${opts.state === 'all' ? '' : `${opts.state} `}pull requests`);
      else ctx.out(pullRequestsTable(found));
    });

  prs
    .command('show')
    .description('show one pull request with its comments')
    .argument('<n>', 'pull request number', itemNumber)
    .addOption(jsonOption('the pull request with a `comments` array'))
    .action(async (n: number, opts: { json?: boolean }) => {
      const forge = ctx.forge();
      const pull = await forge.getPullRequest(n);
      const comments = await forge.listComments(n);
      ctx.out(opts.json ? json({ ...pull, comments }) : pullRequestDetail(pull, comments));
    });
}

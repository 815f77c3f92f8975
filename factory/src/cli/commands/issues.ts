import type { ListIssuesQuery } from '@dark-factory/forge';
import { type Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { issueDetail, issuesTable } from '../format.ts';
import { itemNumber, json, jsonOption, stateOption } from './args.ts';

interface ListOptions {
  state: NonNullable<ListIssuesQuery['state']>;
  label?: string[];
  json?: boolean;
}

interface CreateOptions {
  title: string;
  body?: string;
  bodyFile?: string;
  label?: string[];
  json?: boolean;
}

export function registerIssues(program: Command, ctx: CliContext): void {
  const issues = program.command('issues').description('list, show, file, comment on and close issues');

  issues
    .command('list')
    .description('list issues, newest first')
    .addOption(stateOption(['open', 'closed', 'all']))
    .option('--label <label...>', 'only issues carrying every given label (case-insensitive)')
    .addOption(jsonOption('the issues'))
    .action(async (opts: ListOptions) => {
      const found = await ctx.forge().listIssues({ state: opts.state, labels: opts.label });
      if (opts.json) ctx.out(json(found));
      else if (found.length === 0) ctx.out(`no ${opts.state === 'all' ? '' : `${opts.state} `}issues`);
      else ctx.out(issuesTable(found));
    });

  issues
    .command('show')
    .description('show one issue with its comments')
    .argument('<n>', 'issue number', itemNumber)
    .addOption(jsonOption('the issue with a `comments` array'))
    .action(async (n: number, opts: { json?: boolean }) => {
      const forge = ctx.forge();
      const issue = await forge.getIssue(n);
      const comments = await forge.listComments(n);
      ctx.out(opts.json ? json({ ...issue, comments }) : issueDetail(issue, comments));
    });

  issues
    .command('create')
    .description('file a new issue')
    .requiredOption('--title <title>', 'issue title (at most 256 characters)')
    .addOption(new Option('--body <body>', 'issue description (Markdown)').conflicts('bodyFile'))
    .option('--body-file <file>', 'read the description from a file (- for stdin)')
    .option('--label <label...>', 'labels to put on the issue')
    .addOption(jsonOption('the created issue'))
    .action(async (opts: CreateOptions) => {
      const body = opts.bodyFile === undefined ? (opts.body ?? '') : await ctx.readText(opts.bodyFile);
      const issue = await ctx.forge().createIssue({ title: opts.title, body, labels: opts.label });
      ctx.out(opts.json ? json(issue) : `created issue #${issue.number}: ${issue.title}\n${issue.url}`);
    });

  issues
    .command('comment')
    .description('add a comment to an issue')
    .argument('<n>', 'issue number', itemNumber)
    .requiredOption('--body <body>', 'comment text (Markdown)')
    .addOption(jsonOption('the comment'))
    .action(async (n: number, opts: { body: string; json?: boolean }) => {
      const forge = ctx.forge();
      // On GitHub a PR number is an issue too; check first so both forges refuse a PR here alike.
      await forge.getIssue(n);
      const comment = await forge.commentOnIssue(n, opts.body);
      ctx.out(opts.json ? json(comment) : `commented on issue #${n}\n${comment.url}`);
    });

  issues
    .command('close')
    .description('close an issue, optionally commenting first (closing a closed issue changes nothing)')
    .argument('<n>', 'issue number', itemNumber)
    .option('--comment <text>', 'comment to post before closing')
    .addOption(jsonOption('the closed issue'))
    .action(async (n: number, opts: { comment?: string; json?: boolean }) => {
      const forge = ctx.forge();
      await forge.getIssue(n);
      const issue = await forge.closeIssue(n, opts.comment);
      ctx.out(opts.json ? json(issue) : `closed issue #${issue.number}: ${issue.title}`);
    });
}

import type { Command } from 'commander';
import { type CliContext, forgeInfo } from '../context.ts';
import { type StatusReport, statusText } from '../format.ts';
import { json, jsonOption } from './args.ts';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('which forge is in use (local directory or GitHub repository) and what is open in it')
    .addOption(jsonOption('{ forge, openIssues, openPullRequests }'))
    .action(async (opts: { json?: boolean }) => {
      const forge = ctx.forge();
      const [issues, pulls] = await Promise.all([forge.listIssues(), forge.listPullRequests()]);
      const status: StatusReport = {
        forge: forgeInfo(forge),
        openIssues: issues.length,
        openPullRequests: pulls.length,
      };
      ctx.out(opts.json ? json(status) : statusText(status));
    });
}

import type { Command } from 'commander';
import { buildReport } from '../../engine/status.ts';
import { FactoryError } from '../../errors.ts';
import type { RunRecord } from '../../runs/types.ts';
import { type CliContext, forgeInfo } from '../context.ts';
import { type RunSummary, runDetailText, type StatusReport, statusText } from '../format.ts';
import { json, jsonOption } from './args.ts';

/**
 * A run is shown `running` only while its lease is live; a run whose lease expired is `stalled`
 * (its process is gone: `pnpm factory resume` continues it).
 */
export function runSummary(run: RunRecord, now = Date.now()): RunSummary {
  const live = run.leaseExpiresAt !== null && run.leaseExpiresAt.getTime() > now && run.leaseOwner !== null;
  return {
    runId: run.id,
    issue: run.issue,
    status: run.state === 'running' && !live ? 'stalled' : run.state,
    stopReason: run.stopReason,
    pr: run.pr,
    sandbox: run.sandbox,
    branch: run.branch,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    leaseOwner: run.state === 'running' ? run.leaseOwner : null,
    leaseExpiresAt: run.state === 'running' ? (run.leaseExpiresAt?.toISOString() ?? null) : null,
  };
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('the forge in use, what is open in it, and the factory runs (works while a loop runs)')
    .option('--run <id>', "one run's timeline: steps, events and costs")
    .addOption(jsonOption('{ forge, openIssues, openPullRequests, runs } (with --run: the run)'))
    .action(async (opts: { json?: boolean; run?: string }) => {
      const { openReader } = await import('../engine.ts');
      const reader = await openReader(ctx.env, ctx.cwd);
      try {
        if (opts.run) {
          const run = await reader.getRun(opts.run);
          if (!run) throw new FactoryError('usage', `no run ${opts.run}`);
          const [report, events, cost] = await Promise.all([
            buildReport(reader, run),
            reader.events(run.id),
            reader.runCost(run.id),
          ]);
          const detail = {
            ...report,
            run: runSummary(run),
            ledger: cost,
            events: events.map((e) => ({ step: e.step, kind: e.kind, at: e.at.toISOString(), ...e.data })),
          };
          ctx.out(opts.json ? json(detail) : runDetailText(detail));
          return;
        }
        const forge = ctx.forge();
        const [issues, pulls, runs] = await Promise.all([
          forge.listIssues(),
          forge.listPullRequests(),
          reader.listRuns({ limit: 50 }),
        ]);
        const status: StatusReport = {
          forge: forgeInfo(forge),
          openIssues: issues.length,
          openPullRequests: pulls.length,
          runs: runs.map((r) => runSummary(r)),
        };
        ctx.out(opts.json ? json(status) : statusText(status));
      } finally {
        await reader.close();
      }
    });
}

import type { Command } from 'commander';
import type { RunReport } from '../../engine/report.ts';
import { isFactoryError } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { runReportText } from '../format.ts';
import { itemNumber, json, jsonOption } from './args.ts';

interface RepoOptions {
  repo?: string;
  base: string;
  json?: boolean;
}

function addRepoOptions(cmd: Command): Command {
  return cmd
    .option('--repo <dir>', 'repository to work on (default: the git top level of the current directory)')
    .option('--base <branch>', 'branch to start from and merge into', 'main');
}

function printReports(ctx: CliContext, reports: RunReport[], asJson: boolean, single: boolean): void {
  if (asJson) ctx.out(json(single ? reports[0] : reports));
  else for (const r of reports) ctx.out(runReportText(r));
  // Exit 1 only when the factory itself failed; any decision (merged, rejected, …) is a success.
  if (reports.some((r) => r.status === 'failed')) throw new ExitCode(1);
}

/** The engine is loaded only when a command runs, so `--help` and the forge commands start fast. */
async function loadEngine() {
  const [{ listEligible, runLoop }, { resumeRun, runIssue }, { openEngine }] = await Promise.all([
    import('../../engine/loop.ts'),
    import('../../engine/run-issue.ts'),
    import('../engine.ts'),
  ]);
  return { listEligible, runLoop, resumeRun, runIssue, openEngine };
}

export function registerRuns(program: Command, ctx: CliContext): void {
  addRepoOptions(
    program
      .command('run')
      .description('take one issue through triage, plan, implement, validate, fix, review and merge')
      .requiredOption('--issue <n>', 'issue number', itemNumber),
  )
    .addOption(jsonOption('{ runId, issue, status, pr, steps, cost, durationMs }'))
    .action(async (opts: RepoOptions & { issue: number }) => {
      const { openEngine, runIssue } = await loadEngine();
      const engine = await openEngine({ ...engineOptions(ctx, opts), needsModel: true });
      let report: RunReport;
      try {
        report = await runIssue(engine.deps, { issue: opts.issue });
      } finally {
        await engine.close();
      }
      printReports(ctx, [report], Boolean(opts.json), true);
    });

  addRepoOptions(
    program
      .command('triage')
      .description(
        'triage open issues without a factory label (or one issue); accepted ones wait for `loop`/`resume`',
      )
      .option('--issue <n>', 'only this issue', itemNumber),
  )
    .addOption(jsonOption('the runs, one report each'))
    .action(async (opts: RepoOptions & { issue?: number }) => {
      const { openEngine, runIssue, listEligible } = await loadEngine();
      const engine = await openEngine({ ...engineOptions(ctx, opts), needsModel: true });
      const reports: RunReport[] = [];
      try {
        const issues = opts.issue ? [opts.issue] : (await listEligible(engine.deps)).issues;
        for (const issue of issues) reports.push(await runIssue(engine.deps, { issue, triageOnly: true }));
      } finally {
        await engine.close();
      }
      printReports(ctx, reports, Boolean(opts.json), false);
    });

  addRepoOptions(
    program
      .command('loop')
      .description('resume interrupted runs, then run every open issue without a factory label')
      .option('--once', 'one pass, then exit (default)')
      .option('--watch', 'keep polling the forge (FACTORY_POLL_SECONDS, default 60) until interrupted'),
  )
    .addOption(jsonOption('the runs of the pass, one report each'))
    .action(async (opts: RepoOptions & { once?: boolean; watch?: boolean }) => {
      const { openEngine, runLoop } = await loadEngine();
      const engine = await openEngine({ ...engineOptions(ctx, opts), needsModel: true });
      let reports: RunReport[];
      try {
        reports = await runLoop(engine.deps, {
          watch: Boolean(opts.watch) && !opts.once,
          pollMs: Number(ctx.env.FACTORY_POLL_SECONDS ?? 60) * 1000,
        });
      } finally {
        await engine.close();
      }
      printReports(ctx, reports, Boolean(opts.json), false);
    });

  addRepoOptions(
    program
      .command('resume')
      .description('continue a run (or every interrupted run) from its last completed step')
      .option('--run <id>', 'only this run'),
  )
    .addOption(jsonOption('the resumed runs, one report each'))
    .action(async (opts: RepoOptions & { run?: string }) => {
      const { openEngine, resumeRun, listEligible } = await loadEngine();
      const engine = await openEngine({ ...engineOptions(ctx, opts), needsModel: true });
      const reports: RunReport[] = [];
      try {
        // Every run still marked running: each waits for its lease to expire (a live owner keeps it).
        const ids = opts.run ? [opts.run] : (await listEligible(engine.deps)).running;
        for (const id of ids) {
          try {
            reports.push(await resumeRun(engine.deps, id));
          } catch (err) {
            // One run held by a live process does not stop the others; --run reports it as an error.
            if (opts.run || !isFactoryError(err, 'lease_lost')) throw err;
            ctx.err(`factory: skipped run ${id}: ${err.message}`);
          }
        }
      } finally {
        await engine.close();
      }
      printReports(ctx, reports, Boolean(opts.json), Boolean(opts.run));
    });
}

function engineOptions(ctx: CliContext, opts: RepoOptions) {
  return {
    env: ctx.env,
    cwd: ctx.cwd,
    ...(opts.repo ? { repo: opts.repo } : {}),
    base: opts.base,
    // Progress goes to stderr, so that `--json` leaves stdout to the one JSON object.
    progress: (line: string) => ctx.err(`factory: ${line}`),
  };
}

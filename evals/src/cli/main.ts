import { isEntryModule, packageVersion, runAsProcess } from '@dark-factory/kit/cli';
import { Command, CommanderError, Option } from 'commander';
import { DatasetError, EvalsError, formatIssue } from '../errors.ts';
import { DEFAULT_BASELINE, devDatasets, displayPath, REPO_ROOT } from '../paths.ts';
import { GATE_MODES } from '../stats/power.ts';
import { baselineCommand } from './baseline.ts';
import { type CliContext, createContext, helpWidth } from './context.ts';
import { gateCommand } from './gate.ts';
import { mutateCommand } from './mutate.ts';
import { powerCommand } from './power.ts';
import { runSuiteCommand } from './run.ts';
import { collect, positiveInt } from './shared.ts';

/** Exit codes: 0 ok, 1 the gate (or mutation check) failed, 2 bad input or error. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;
type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The commands, their options and help; each action is a command function of the context.
 * `code` carries an action's exit code out of commander (which knows none).
 */
export function buildProgram(ctx: CliContext, code: { exit: ExitCode } = { exit: EXIT.ok }): Command {
  const program = new Command('evals')
    .description('Benchmarks, metrics and the merge gate for rag-app')
    .version(
      packageVersion(new URL('../../package.json', import.meta.url)),
      '-V, --version',
      'print the version',
    )
    // Help, version and commander's usage errors go through the context (captured in-process).
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      getOutHelpWidth: () => helpWidth(ctx.stdout) ?? 80,
      getErrHelpWidth: () => helpWidth(ctx.stderr) ?? 80,
    })
    .showHelpAfterError(false)
    .exitOverride();

  program
    .command('run')
    .description('Run datasets against rag-app (in-process on the current store, or --url) and score them')
    .requiredOption('--dataset <file.jsonl>', 'dataset file (JSON Lines); repeat for more', collect)
    .option('--json <out.json>', 'write the run summary JSON (- for stdout)')
    .option('--md <out.md>', 'write a Markdown report')
    .option('--html <out.html>', 'write a self-contained HTML report')
    .option('--url <url>', 'a running rag-app instead of the in-process library')
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .option('--facts <file.jsonl>', 'extra reference-facts file merged by id; repeat for more', collect, [])
    .option('--no-auto-facts', 'do not merge <dataset>.facts.jsonl siblings and evals/datasets/*.facts.jsonl')
    .option('--baseline <summary.json>', 'compare with this summary in the Markdown/HTML reports')
    .action(async (o) => {
      await runSuiteCommand(ctx, { ...o, dataset: o.dataset, autoFacts: o.autoFacts });
    });

  program
    .command('gate')
    .description('Compare a candidate summary with a baseline: exit 0 pass, 1 fail')
    .requiredOption('--baseline <summary.json>', 'baseline run summary')
    .requiredOption('--candidate <summary.json>', 'candidate run summary')
    .option('--config <gate.json>', 'floors and allowed drops (default evals/gate.json)')
    .addOption(modeOption())
    .option(
      '--reference <summary.json>',
      'a run measured alongside the candidate on this machine: latency is gated against it (without one it is only reported)',
    )
    .option('--md <out.md>', 'write a Markdown report (PR comment)')
    .option('--html <out.html>', 'write a self-contained HTML report')
    .option('--json <out.json>', 'write the gate verdict as JSON (- for stdout)')
    .action(async (o) => {
      const gate = await gateCommand(ctx, o);
      if (!gate.pass) code.exit = EXIT.failed;
    });

  program
    .command('baseline')
    .description(
      `Re-run the shared dev sets and rewrite ${displayPath(DEFAULT_BASELINE, REPO_ROOT)}; --ratchet raises it only where the run is significantly better`,
    )
    .option(
      '--dataset <file.jsonl>',
      'datasets instead of the three shared dev sets; repeat for more',
      collect,
    )
    .option('--out <summary.json>', 'where to write', DEFAULT_BASELINE)
    .option('--url <url>', 'a running rag-app instead of the in-process library')
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .option(
      '--ratchet',
      'keep the baseline, taking the run only for metrics significantly better (run after a merge, commit on its own)',
    )
    .option('--from <summary.json>', 'with --ratchet: this run instead of running the dev sets')
    .option('--config <gate.json>', 'with --ratchet: bootstrap settings (default evals/gate.json)')
    .action(async (o) => {
      await baselineCommand(ctx, {
        dataset: o.dataset?.length ? o.dataset : devDatasets(ctx.env),
        out: o.out,
        url: o.url,
        concurrency: o.concurrency,
        ratchet: o.ratchet,
        from: o.from,
        config: o.config,
      });
    });

  program
    .command('mutate')
    .description(
      'Run the suite against deliberately broken variants of rag-app; every one must fail the gate',
    )
    .option('--dataset <file.jsonl>', 'datasets to sample (default: the three shared dev sets)', collect)
    .option('--sample <n>', 'cases to sample, stratified by kind', positiveInt('--sample'), 300)
    .option('--seed <n>', 'sampling and mutation seed', positiveInt('--seed'), 1)
    .option('--url <url>', 'a running rag-app instead of the in-process library')
    .option('--config <gate.json>', 'gate config whose drop rules are checked (default evals/gate.json)')
    .addOption(modeOption())
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .option('--no-slight', 'only the gross mutants (the slight ones run every case, in-process)')
    .option(
      '--neutral-seeds <n>',
      'neutral controls (same code, other seeds)',
      positiveInt('--neutral-seeds'),
      10,
    )
    .option(
      '--synthetic-seeds <n>',
      'seeds of the synthetic neutral churn',
      positiveInt('--synthetic-seeds'),
      100,
    )
    .option('--json <out.json>', 'write the mutation report as JSON (- for stdout)')
    .action(async (o) => {
      const report = await mutateCommand(ctx, o);
      if (!report.ok) code.exit = EXIT.failed;
    });

  program
    .command('power')
    .description(
      'Per dataset and gated metric: the smallest drop the gate detects at 80 % power and its false-failure rate on a neutral change, from the paired variance of real runs (default: the committed power record)',
    )
    .option('--config <gate.json>', 'gate config whose margins are checked (default evals/gate.json)')
    .addOption(modeOption())
    .option('--baseline <summary.json>', 'with --run: the unchanged run')
    .option(
      '--run <summary.json>',
      'a real run of a changed rag-app over the same cases; repeat for more',
      collect,
    )
    .option('--measure', 'run the slight mutants and neutral controls in-process and measure anew (minutes)')
    .option(
      '--dataset <file.jsonl>',
      'datasets to run the variants on (default: the three shared dev sets)',
      collect,
    )
    .option('--neutral-seeds <n>', 'neutral controls among the variants', positiveInt('--neutral-seeds'), 5)
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .option('--write [power.json]', "write the power record (default: the gate config's power.record)")
    .option('--json <out.json>', 'write the figures as JSON (- for stdout)')
    .action(async (o) => {
      const outcome = await powerCommand(ctx, o);
      if (outcome.refused.length) code.exit = EXIT.failed;
    });

  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

function modeOption(): Option {
  return new Option('--mode <mode>', "how drops are judged (default: the config's mode)").choices(GATE_MODES);
}

/** Runs the CLI on `argv` (without node and script); returns the exit code (EXIT). Errors print as one readable line. */
export async function main(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  const code: { exit: ExitCode } = { exit: EXIT.ok };
  try {
    await buildProgram(ctx, code).parseAsync(argv, { from: 'user' });
    return code.exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help, or the version).
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.help'
        ? EXIT.ok
        : EXIT.error;
    }
    const msg = err instanceof Error ? err.message : String(err);
    ctx.stderr.write(`evals: ${msg}\n`);
    if (err instanceof DatasetError && err.issues.length > 1) {
      for (const i of err.issues.slice(0, 50)) ctx.stderr.write(`  ${formatIssue(i)}\n`);
      if (err.issues.length > 50) ctx.stderr.write(`  … ${err.issues.length - 50} more\n`);
    }
    if (!(err instanceof EvalsError) && ctx.env.LOG_LEVEL === 'debug' && err instanceof Error) {
      ctx.stderr.write(`${err.stack}\n`);
    }
    return EXIT.error;
  }
}

/**
 * The process entry (this file run by node, as the factory's judge does, or bin/evals.mjs): the exit
 * code is set, not forced, so stdout (a summary or verdict JSON on a pipe) is flushed before the end.
 */
export const runProcess = (argv: string[]) => runAsProcess(main, argv);

if (isEntryModule(import.meta.url)) await runProcess(process.argv.slice(2));

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { DatasetError, EvalsError, formatIssue } from '../errors.ts';
import { DEFAULT_BASELINE, devDatasets, displayPath, REPO_ROOT } from '../paths.ts';
import { GATE_MODES } from '../stats/power.ts';
import { baselineCommand } from './baseline.ts';
import { gateCommand } from './gate.ts';
import { mutateCommand } from './mutate.ts';
import { powerCommand } from './power.ts';
import { runSuiteCommand } from './run.ts';
import { collect, positiveInt } from './shared.ts';

/** Exit codes: 0 ok, 1 the gate (or mutation check) failed, 2 bad input or error. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('evals')
    .description('Benchmarks, metrics and the merge gate for rag-app')
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
      await runSuiteCommand({ ...o, dataset: o.dataset, autoFacts: o.autoFacts });
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
      const gate = await gateCommand(o);
      if (!gate.pass) process.exitCode = EXIT.failed;
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
      await baselineCommand({
        dataset: o.dataset?.length ? o.dataset : devDatasets(),
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
      const report = await mutateCommand(o);
      if (!report.ok) process.exitCode = EXIT.failed;
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
      const outcome = await powerCommand(o);
      if (outcome.refused.length) process.exitCode = EXIT.failed;
    });

  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

function modeOption(): Option {
  return new Option('--mode <mode>', "how drops are judged (default: the config's mode)").choices(GATE_MODES);
}

/** Runs the CLI; returns the exit code. Errors print as one readable line. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help).
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.help'
        ? EXIT.ok
        : EXIT.error;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`evals: ${msg}\n`);
    if (err instanceof DatasetError && err.issues.length > 1) {
      for (const i of err.issues.slice(0, 50)) process.stderr.write(`  ${formatIssue(i)}\n`);
      if (err.issues.length > 50) process.stderr.write(`  … ${err.issues.length - 50} more\n`);
    }
    if (!(err instanceof EvalsError) && process.env.LOG_LEVEL === 'debug' && err instanceof Error) {
      process.stderr.write(`${err.stack}\n`);
    }
    return EXIT.error;
  }
}

const isEntry = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

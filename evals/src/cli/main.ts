import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { DatasetError, EvalsError, formatIssue } from '../errors.ts';
import { DEFAULT_BASELINE, devDatasets, displayPath, REPO_ROOT } from '../paths.ts';
import { gateCommand } from './gate.ts';
import { mutateCommand } from './mutate.ts';
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
    .option('--md <out.md>', 'write a Markdown report (PR comment)')
    .option('--html <out.html>', 'write a self-contained HTML report')
    .option('--json <out.json>', 'write the gate verdict as JSON (- for stdout)')
    .action(async (o) => {
      const gate = await gateCommand(o);
      if (!gate.pass) process.exitCode = EXIT.failed;
    });

  program
    .command('baseline')
    .description(`Re-run the shared dev sets and rewrite ${displayPath(DEFAULT_BASELINE, REPO_ROOT)}`)
    .option(
      '--dataset <file.jsonl>',
      'datasets instead of the three shared dev sets; repeat for more',
      collect,
    )
    .option('--out <summary.json>', 'where to write', DEFAULT_BASELINE)
    .option('--url <url>', 'a running rag-app instead of the in-process library')
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .action(async (o) => {
      await runSuiteCommand({
        dataset: o.dataset?.length ? o.dataset : devDatasets(),
        json: o.out,
        url: o.url,
        concurrency: o.concurrency,
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
    .option('--concurrency <n>', 'cases in flight', positiveInt('--concurrency'), 4)
    .option('--json <out.json>', 'write the mutation report as JSON')
    .action(async (o) => {
      const report = await mutateCommand(o);
      if (!report.ok) process.exitCode = EXIT.failed;
    });

  for (const cmd of program.commands) cmd.exitOverride();
  return program;
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

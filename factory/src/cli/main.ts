#!/usr/bin/env node
import { isEntryModule, packageVersion, runAsProcess } from '@dark-factory/kit/cli';
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.ts';
import { registerEnqueue } from './commands/enqueue.ts';
import { registerIssues } from './commands/issues.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerPoll } from './commands/poll.ts';
import { registerPullRequests } from './commands/prs.ts';
import { registerRuns } from './commands/runs.ts';
import { registerServe } from './commands/serve.ts';
import { registerStatus } from './commands/status.ts';
import { registerWorker } from './commands/worker.ts';
import { type CliContext, createContext } from './context.ts';
import { ExitCode, errorLine } from './errors.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('factory')
    .description(
      'The dark factory: takes issues from the forge (GitHub when GITHUB_TOKEN and GITHUB_REPOSITORY are set, ' +
        'else the local forge in FORGE_DIR or <DATA_DIR or .data>/forge) to a squash merge, gated in code',
    )
    .version(
      packageVersion(new URL('../../package.json', import.meta.url)),
      '-V, --version',
      'print the version',
    )
    // Help goes through the context (so it is captured in-process); errors are printed once, by main(),
    // as `factory: <code>: <message>`. Subcommands inherit both settings.
    .configureOutput({
      writeOut: (text) => ctx.out(text),
      writeErr: (text) => ctx.err(text),
      outputError: () => undefined,
      // commander's own default when the stream is not a terminal.
      getOutHelpWidth: () => ctx.helpWidth?.('out') ?? 80,
      getErrHelpWidth: () => ctx.helpWidth?.('err') ?? 80,
    })
    .exitOverride();
  registerIssues(program, ctx);
  registerPullRequests(program, ctx);
  registerStatus(program, ctx);
  registerRuns(program, ctx);
  registerDemo(program, ctx);
  registerWorker(program, ctx);
  registerJobs(program, ctx);
  registerEnqueue(program, ctx);
  registerServe(program, ctx);
  registerPoll(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code: 0 ok, 1 failed. */
export async function main(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Help and version arrive as CommanderErrors too; commander has already printed them.
    if (
      err instanceof CommanderError &&
      (err.code.startsWith('commander.help') || err.code === 'commander.version')
    ) {
      return err.exitCode;
    }
    if (err instanceof ExitCode) return err.exitCode;
    ctx.err(errorLine(err));
    return 1;
  }
}

/**
 * The process entry (this file run by node, or bin/factory.mjs): the exit code is set, not forced, so
 * stdout is flushed and a server or worker started by a command runs on until it stops.
 */
export const runProcess = (argv: string[]) => runAsProcess(main, argv);

if (isEntryModule(import.meta.url)) await runProcess(process.argv.slice(2));

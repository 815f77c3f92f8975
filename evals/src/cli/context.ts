import path from 'node:path';
import { type TextSink, userCwd } from '@dark-factory/kit/cli';
import pino from 'pino';
import { displayPath } from '../paths.ts';

// The sinks and the user's directory are kit's, shared by the three CLIs.
export { helpWidth, type TextSink } from '@dark-factory/kit/cli';

export type Env = NodeJS.ProcessEnv;

/** What every command needs, passed in so that nothing reaches for globals (tests run the CLI in-process). */
export interface CliContext {
  /** The environment the commands read (the store for in-process runs, SHARED_DIR, the judge's key, LOG_LEVEL). */
  env: Env;
  /** Where the user typed the command; relative paths they give resolve against it. */
  cwd: string;
  /** Reports, and JSON when a file is `-`. */
  stdout: TextSink;
  /** Progress, warnings and the error line, so that `--json -` leaves stdout to JSON. */
  stderr: TextSink;
}

/** The process's own context: its environment and streams; the user's directory is INIT_CWD (pnpm). */
export function createContext(
  env: Env = process.env,
  io: { stdout: TextSink; stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
): CliContext {
  return { env, cwd: userCwd(env), stdout: io.stdout, stderr: io.stderr };
}

/** A path the user typed, resolved against where they typed it. */
export function resolveUserPath(ctx: CliContext, p: string): string {
  return path.resolve(ctx.cwd, p);
}

/** An absolute path as the user should read it: relative to their directory when that is shorter. */
export function shown(ctx: CliContext, abs: string): string {
  return displayPath(abs, ctx.cwd);
}

/** Structured warnings on the context's stderr (stdout stays free for reports and JSON). */
export function cliLogger(ctx: CliContext): pino.Logger {
  return pino(
    { level: ctx.env.LOG_LEVEL || 'info', base: { app: 'evals' } },
    { write: (line: string) => ctx.stderr.write(line) },
  );
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { displayPath, userCwd } from '../paths.ts';

export type Env = NodeJS.ProcessEnv;

/** Something text is written to: process.stdout/stderr, or a test's capture. */
export interface TextSink {
  write(text: string): unknown;
  /** A terminal: progress bars are drawn only on one. */
  isTTY?: boolean;
  columns?: number;
}

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

/** The terminal width for help text; undefined when not a terminal (commander then uses 80). */
export function helpWidth(sink: TextSink): number | undefined {
  return sink.isTTY ? sink.columns : undefined;
}

const PackageSchema = z.object({ version: z.string().min(1) });

/** The evals package's version, from its package.json (what `evals --version` prints). */
export function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return PackageSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).version;
}

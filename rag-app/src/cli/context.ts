import { readFileSync } from 'node:fs';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** Something text is written to: process.stdout/stderr, or a test's capture. */
export interface TextSink {
  write(text: string): unknown;
  /** A terminal: answers stream token by token and ingest draws a progress bar. */
  isTTY?: boolean;
  columns?: number;
}

/** What every command needs, passed in so that nothing reaches for globals (tests run the CLI in-process). */
export interface CliContext {
  /** The environment the commands read their settings from (loadConfig). */
  env: Env;
  /** Where the user typed the command; relative paths they give resolve against it. */
  cwd: string;
  /** Results: JSON with --json, else text. */
  stdout: TextSink;
  /** Progress, warnings and the one error line, so that --json leaves stdout to JSON. */
  stderr: TextSink;
}

/** pnpm runs scripts from the package directory; INIT_CWD is where the user typed the command. */
export function userCwd(env: Env, processCwd: string = process.cwd()): string {
  const initCwd = env.INIT_CWD?.trim();
  return initCwd ? initCwd : processCwd;
}

/** The process's own context: its environment and streams. */
export function createContext(
  env: Env = process.env,
  io: { stdout: TextSink; stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
): CliContext {
  return { env, cwd: userCwd(env), stdout: io.stdout, stderr: io.stderr };
}

/** Writes a line, adding the newline when the text has none. */
export function writeLine(sink: TextSink, text: string): void {
  sink.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** The terminal width for help text; undefined when not a terminal (commander then uses 80). */
export function helpWidth(sink: TextSink): number | undefined {
  return sink.isTTY ? sink.columns : undefined;
}

const PackageSchema = z.object({ version: z.string().min(1) });

/** rag-app's version, from its package.json (what `rag --version` prints). */
export function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return PackageSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).version;
}

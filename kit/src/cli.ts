import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// What the three CLIs (rag, evals, factory) share around their commands: the process entry, the
// version, the user's directory and the text sinks. Nothing of commander: each CLI owns its program.

export type Env = Record<string, string | undefined>;

/** Something text is written to: process.stdout/stderr, or a test's capture. */
export interface TextSink {
  write(text: string): unknown;
  /** A terminal: progress bars are drawn and help is wrapped to its width only on one. */
  isTTY?: boolean;
  columns?: number;
}

/** pnpm runs scripts from the package directory; INIT_CWD is where the user typed the command. */
export function userCwd(env: Env, processCwd: string = process.cwd()): string {
  const initCwd = env.INIT_CWD?.trim();
  return initCwd ? initCwd : processCwd;
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

/** The version in the package.json at `file` (what a CLI's `--version` prints). */
export function packageVersion(file: URL): string {
  return PackageSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).version;
}

/**
 * Whether the module at `moduleUrl` is the script node was started with (`node --import tsx
 * src/cli/main.ts`), not a module imported by a test or a bin.
 */
export function isEntryModule(moduleUrl: string, script: string | undefined = process.argv[1]): boolean {
  try {
    return realpathSync(script ?? '') === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

export interface ProcessEntryOptions {
  /**
   * End the process at once on a failure (a model client may still hold the event loop). Otherwise
   * the exit code is only set, so stdout on a pipe is flushed and a server started by a command runs on.
   */
  exitOnFailure?: boolean;
}

/**
 * A reader that stops early (`rag ask … | head -3`) closes the pipe: the CLI ends quietly, as Unix
 * tools do, instead of dying on an unhandled EPIPE with a stack trace. Any other write error is
 * thrown on as before.
 */
export function endQuietlyOnClosedPipe(
  stream: NodeJS.WritableStream,
  end: () => void = () => process.exit(0),
): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    end();
  });
}

/** Runs a CLI's `main(argv)` as the process: its exit code becomes the process's. */
export async function runAsProcess(
  main: (argv: string[]) => Promise<number>,
  argv: string[],
  options: ProcessEntryOptions = {},
): Promise<void> {
  endQuietlyOnClosedPipe(process.stdout);
  const code = await main(argv);
  if (code !== 0 && options.exitOnFailure) process.exit(code);
  process.exitCode = code;
}

import { type Env, type TextSink, userCwd } from '@dark-factory/kit/cli';

// The sinks, the user's directory and the line writer are kit's, shared by the three CLIs. On a
// terminal sink (isTTY) answers stream token by token and ingest draws a progress bar.
export { type Env, helpWidth, type TextSink, userCwd, writeLine } from '@dark-factory/kit/cli';

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

/** The process's own context: its environment and streams. */
export function createContext(
  env: Env = process.env,
  io: { stdout: TextSink; stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
): CliContext {
  return { env, cwd: userCwd(env), stdout: io.stdout, stderr: io.stderr };
}

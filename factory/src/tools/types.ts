import type Anthropic from '@anthropic-ai/sdk';

/** What a tool call returned to the model; `verdict` is what the run's event log records. */
export interface ToolOutcome {
  /** Text for the tool_result block (a one-line reason when refused or failed). */
  content: string;
  isError: boolean;
  verdict: 'ok' | 'refused' | 'error';
}

/** The tools one agent step may use. `done` and the structured-answer tools are handled by the step. */
export interface Toolbox {
  readonly definitions: Anthropic.Tool[];
  execute(name: string, input: unknown): Promise<ToolOutcome>;
}

export interface CommandResult {
  argv: string[];
  /** null when killed by a signal or the timeout. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, trimmed to the head and tail (a marker says how much was cut). */
  output: string;
  /** Untrimmed stdout alone, only when the run asked for `fullStdout` (e.g. the gate's judge process). */
  stdout?: string;
  /** Where it ran: bubblewrap, or the operator's container (plain spawn with the clean environment). */
  boundary: SandboxBoundary;
}

export type SandboxBoundary = 'bubblewrap' | 'container';

export interface RunOptions {
  timeoutMs: number;
  /** Also return stdout untrimmed in `stdout` (the log in `output` stays trimmed). */
  fullStdout?: boolean;
  /** Working directory: the worktree (default) or a directory inside it or the temp dir. */
  cwd?: string;
  /**
   * Extra variables on top of the allow-list (e.g. PORT, DATA_DIR for a judge process). Names that
   * look like secrets (…KEY, …TOKEN, …SECRET…, …PASSWORD…, DATABASE_URL, CI) are refused.
   */
  env?: Record<string, string>;
}

/** One command the runner ran, for the run's event log. */
export type CommandEvent = {
  argv: string[];
  cwd: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  boundary: SandboxBoundary;
};

/**
 * Runs argv (never a shell) inside the sandbox: no network, an allow-listed environment without
 * secrets, only the worktree and a temp dir writable, protected paths read-only.
 */
export interface CommandRunner {
  readonly boundary: SandboxBoundary;
  /** Never rejects for a failing or missing command (that is an exit code); only for a factory fault. */
  run(argv: string[], options: RunOptions): Promise<CommandResult>;
}

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
  /** bubblewrap | container */
  boundary: string;
}

/**
 * Runs argv (never a shell) inside the sandbox: no network, an allow-listed environment without
 * secrets, only the worktree and a temp dir writable, protected paths read-only.
 */
export interface CommandRunner {
  readonly boundary: 'bubblewrap' | 'container';
  run(argv: string[], options: { timeoutMs: number }): Promise<CommandResult>;
}

import { z } from 'zod';
import type { ValidateCommand } from '../policy/schema.ts';
import { parseArgv } from '../tools/command.ts';
import type { CommandRunner } from '../tools/types.ts';

/**
 * The mission's `validate` commands, in order, each in the sandbox with its own timeout; every
 * command's own exit code, signal, duration and trimmed output are recorded.
 *
 * All commands run even after one fails (unless `failFast`): a fix round then sees every failing
 * command at once instead of discovering them one attempt at a time (fix attempts are few and cost
 * model calls; a command costs seconds). With `failFast` (enough for a yes/no, e.g. after a merge)
 * the commands after the first failure are recorded as `skipped` without running.
 *
 * `ok` is decided here, from the recorded exit codes only: every command ran and exited 0. A
 * command killed by a signal or its timeout has exit code null and fails.
 */

export const CommandOutcomeSchema = z.object({
  name: z.string(),
  /** The command line from the policy. */
  command: z.string(),
  argv: z.array(z.string()),
  status: z.enum(['passed', 'failed', 'skipped']),
  /** null when it did not exit by itself (signal, timeout) or did not run. */
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().min(0),
  /** stdout and stderr interleaved, trimmed to head and tail by the runner. */
  output: z.string(),
  boundary: z.enum(['bubblewrap', 'container']).nullable(),
});
export type CommandOutcome = z.infer<typeof CommandOutcomeSchema>;

export const ValidateCommandsResultSchema = z.object({
  ok: z.boolean(),
  /** Name of the first command that failed, null when all passed. */
  firstFailure: z.string().nullable(),
  commands: z.array(CommandOutcomeSchema),
  durationMs: z.number().min(0),
});
export type ValidateCommandsResult = z.infer<typeof ValidateCommandsResultSchema>;

export interface ValidateCommandsOptions {
  commands: readonly ValidateCommand[];
  runner: CommandRunner;
  /** Stop at the first failure; the rest are recorded as skipped. Default false. */
  failFast?: boolean;
  /** One line when each command starts and ends. */
  onProgress?: (line: string) => void;
}

/** Whether a recorded outcome is a pass: the command's own exit code 0, nothing else. */
export function commandPassed(outcome: Pick<CommandOutcome, 'exitCode' | 'timedOut' | 'signal'>): boolean {
  return outcome.exitCode === 0 && !outcome.timedOut && outcome.signal === null;
}

/** Never rejects for a failing command; rejects only when the runner itself fails (a factory fault). */
export async function runValidateCommands(options: ValidateCommandsOptions): Promise<ValidateCommandsResult> {
  const started = performance.now();
  const outcomes: CommandOutcome[] = [];
  let stop = false;
  for (const command of options.commands) {
    const parsed = parseArgv(command.command);
    const base = { name: command.name, command: command.command };
    if (stop) {
      outcomes.push({
        ...base,
        argv: parsed.ok ? parsed.argv : [],
        status: 'skipped',
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs: 0,
        output: 'skipped: an earlier command failed',
        boundary: null,
      });
      continue;
    }
    if (!parsed.ok) {
      // The policy holds a command the sandbox cannot run as argv: a failure of that command.
      outcomes.push({
        ...base,
        argv: [],
        status: 'failed',
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs: 0,
        output: parsed.reason,
        boundary: null,
      });
      options.onProgress?.(`validate ${command.name}: failed (${parsed.reason})`);
      stop = options.failFast === true;
      continue;
    }
    options.onProgress?.(`validate ${command.name}: ${command.command}`);
    const result = await options.runner.run(parsed.argv, { timeoutMs: command.timeoutSeconds * 1000 });
    const passed = commandPassed(result);
    outcomes.push({
      ...base,
      argv: result.argv,
      status: passed ? 'passed' : 'failed',
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      output: result.output,
      boundary: result.boundary,
    });
    options.onProgress?.(`validate ${command.name}: ${passed ? 'passed' : 'FAILED'} (${describe(result)})`);
    if (!passed) stop = options.failFast === true;
  }
  const failed = outcomes.find((o) => o.status !== 'passed');
  return ValidateCommandsResultSchema.parse({
    ok: outcomes.length > 0 && outcomes.every((o) => o.status === 'passed' && commandPassed(o)),
    firstFailure: failed?.name ?? null,
    commands: outcomes,
    durationMs: Math.round(performance.now() - started),
  });
}

function describe(r: {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}) {
  const how = r.timedOut ? 'timed out' : r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  return `${how}, ${(r.durationMs / 1000).toFixed(1)} s`;
}

import { describeZodIssues } from '@dark-factory/kit';
import type { z } from 'zod';
import type { Policy } from '../policy/schema.ts';
import { decideCommand } from './command.ts';
import {
  EditFileInputSchema,
  ListFilesInputSchema,
  READ_ONLY_TOOL_NAMES,
  ReadFileInputSchema,
  RunInputSchema,
  SearchInputSchema,
  type ToolName,
  toolDefinitions,
  WriteFileInputSchema,
} from './definitions.ts';
import {
  editFile,
  failed,
  listFiles,
  ok,
  type ReadContext,
  readFileTool,
  refused,
  search,
  type WriteContext,
  writeFileTool,
} from './fs-tools.ts';
import type { CommandResult, CommandRunner, Toolbox, ToolOutcome } from './types.ts';

/** One tool call as the run's event log records it. */
export type ToolEvent = {
  tool: string;
  verdict: ToolOutcome['verdict'];
  /** The path or the command the call was about, when it had one. */
  target?: string;
  /** First line of the outcome when it was refused or failed. */
  reason?: string;
  /** For `run`: the command's own result (its exit code, duration, boundary). */
  command?: Pick<CommandResult, 'argv' | 'exitCode' | 'timedOut' | 'durationMs' | 'boundary'>;
  durationMs: number;
};

type Handler = (input: unknown) => Promise<{ outcome: ToolOutcome; command?: CommandResult }>;

interface ToolSpec<S extends z.ZodType> {
  schema: S;
  handle: (input: z.infer<S>) => Promise<ToolOutcome | { outcome: ToolOutcome; command: CommandResult }>;
}

function tool<S extends z.ZodType>(name: string, spec: ToolSpec<S>): Handler {
  return async (input) => {
    const parsed = spec.schema.safeParse(input ?? {});
    if (!parsed.success) {
      return {
        outcome: failed(
          `error: invalid input for ${name}: ${describeZodIssues(parsed.error, { root: 'input' })}`,
        ),
      };
    }
    const result = await spec.handle(parsed.data);
    return 'outcome' in result ? result : { outcome: result };
  };
}

function targetOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const record = input as Record<string, unknown>;
  const value = record.path ?? record.command;
  return typeof value === 'string' ? value.slice(0, 300) : undefined;
}

function formatCommand(command: string, result: CommandResult): ToolOutcome {
  const seconds = (result.durationMs / 1000).toFixed(1);
  const status = result.timedOut
    ? `timed out after ${seconds} s (killed)`
    : result.exitCode === null
      ? `killed by ${result.signal ?? 'a signal'} after ${seconds} s`
      : `exit code ${result.exitCode} (${seconds} s)`;
  const body = result.output.trim() === '' ? '(no output)' : result.output.replace(/\s+$/, '');
  const content = `$ ${command}\n${status}\n${body}`;
  return result.exitCode === 0 ? ok(content) : failed(content);
}

function makeToolbox(
  names: readonly ToolName[],
  handlers: Partial<Record<ToolName, Handler>>,
  onEvent: ((event: ToolEvent) => void) | undefined,
): Toolbox {
  return {
    definitions: toolDefinitions(names),
    async execute(name: string, input: unknown): Promise<ToolOutcome> {
      const started = performance.now();
      const handler = (names as readonly string[]).includes(name) ? handlers[name as ToolName] : undefined;
      let outcome: ToolOutcome;
      let command: CommandResult | undefined;
      if (!handler) {
        outcome = failed(`error: unknown tool ${name} (available: ${names.join(', ')})`);
      } else {
        try {
          ({ outcome, command } = await handler(input));
        } catch (err) {
          // A file-system error on the model's path (EACCES, ENOSPC, …) is the model's to handle;
          // a factory fault (the sandbox, the store) propagates.
          const code = (err as NodeJS.ErrnoException).code;
          if (typeof code !== 'string' || !code.startsWith('E')) throw err;
          outcome = failed(`error: ${(err as Error).message}`);
        }
      }
      onEvent?.({
        tool: name,
        verdict: outcome.verdict,
        ...(targetOf(input) !== undefined ? { target: targetOf(input) } : {}),
        ...(outcome.verdict !== 'ok' ? { reason: outcome.content.split('\n')[0] } : {}),
        ...(command
          ? {
              command: {
                argv: command.argv,
                exitCode: command.exitCode,
                timedOut: command.timedOut,
                durationMs: command.durationMs,
                boundary: command.boundary,
              },
            }
          : {}),
        durationMs: Math.round(performance.now() - started),
      });
      return outcome;
    },
  };
}

function readHandlers(ctx: ReadContext): Partial<Record<ToolName, Handler>> {
  return {
    list_files: tool('list_files', {
      schema: ListFilesInputSchema,
      handle: (input) => listFiles(ctx, input),
    }),
    read_file: tool('read_file', {
      schema: ReadFileInputSchema,
      handle: (input) => readFileTool(ctx, input),
    }),
    search: tool('search', { schema: SearchInputSchema, handle: (input) => search(ctx, input) }),
  };
}

export interface AgentToolboxOptions {
  worktree: string;
  policy: Policy;
  /** Runs allowed `run` commands (the sandbox). */
  runner: CommandRunner;
  /** Called once per tool call, whatever its verdict. */
  onEvent?: (event: ToolEvent) => void;
}

/** The executable tools of implement and fix, in the order the model sees them (`done` is the step's). */
export const AGENT_TOOL_NAMES = [
  'list_files',
  'read_file',
  'search',
  'write_file',
  'edit_file',
  'run',
] as const satisfies readonly ToolName[];

/**
 * Implement/fix: list_files, read_file, search, write_file, edit_file, run. `definitions` does not
 * hold `done`: the agent loop appends `TOOL_DEFINITIONS.done` and handles it. `execute` validates
 * the input, never throws for a model mistake (bad input, refused path or command, missing file),
 * and returns a one-line reason with `isError` when refused or failed.
 */
export function createAgentToolbox(options: AgentToolboxOptions): Toolbox {
  const ctx: WriteContext = { worktree: options.worktree, policy: options.policy };
  const handlers: Partial<Record<ToolName, Handler>> = {
    ...readHandlers(ctx),
    write_file: tool('write_file', {
      schema: WriteFileInputSchema,
      handle: (input) => writeFileTool(ctx, input),
    }),
    edit_file: tool('edit_file', { schema: EditFileInputSchema, handle: (input) => editFile(ctx, input) }),
    run: tool('run', {
      schema: RunInputSchema,
      handle: async ({ command }) => {
        const decision = decideCommand(options.policy, command);
        if (!decision.allowed) return refused(decision.reason);
        const result = await options.runner.run(decision.argv, { timeoutMs: decision.timeoutMs });
        return { outcome: formatCommand(command, result), command: result };
      },
    }),
  };
  return makeToolbox(AGENT_TOOL_NAMES, handlers, options.onEvent);
}

export interface ReadOnlyToolboxOptions {
  worktree: string;
  /** Accepted for symmetry with the agent toolbox; the read-only tools never consult it. */
  policy?: Policy;
  onEvent?: (event: ToolEvent) => void;
}

/** Plan: list_files, read_file, search (the plan step adds `submit_plan`). */
export function createReadOnlyToolbox(options: ReadOnlyToolboxOptions): Toolbox {
  return makeToolbox(READ_ONLY_TOOL_NAMES, readHandlers({ worktree: options.worktree }), options.onEvent);
}

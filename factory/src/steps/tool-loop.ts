import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { assistantTurn, type ToolUse, toolResult, toolUses } from '../model/content.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../model/types.ts';
import type { EventKind } from '../runs/types.ts';
import { TOOL_INPUT_SCHEMAS, type ToolName } from '../tools/definitions.ts';
import type { Toolbox } from '../tools/types.ts';
import { reminder } from './prompts.ts';

/**
 * The turn loop shared by plan, implement and fix: one request per turn, the tool calls of each
 * reply executed in order, until the step's final tool (`done`, `submit_plan`) is called with a
 * valid input or a rule ends the step. Every rule here is counted in code:
 * - at most `maxTurns` requests (counted before each one is sent);
 * - a reply without a tool call gets one reminder; a second one in a row fails (`no_tool_call`);
 * - `stop_reason: max_tokens` fails at once (`max_tokens`), as do refusals and a full context;
 * - a malformed call (unknown tool, input that fails the offered schema) gets an `is_error`
 *   tool_result with the validation error; a second malformed reply in a row fails (`malformed`);
 * - when the final tool is called, the other calls of the same reply are executed first, then the
 *   loop ends: no further request is sent.
 * Errors of the model client (budget_exceeded, model_error) propagate.
 *
 * Events: the toolbox records every call it executes (tools/toolbox.ts); this loop records what
 * never reaches it — malformed calls, the final tool's call, reminders and the reason a step failed.
 */

export const LOOP_FAILURE_REASONS = [
  'no_tool_call',
  'max_tokens',
  'turn_cap',
  'malformed',
  'model_refusal',
  'context_window',
] as const;
export type LoopFailureReason = (typeof LOOP_FAILURE_REASONS)[number];

/** What a step records for the run's event log: its kind and its data (the engine adds the run and the step). */
export type StepEvent = { kind: EventKind } & Record<string, unknown>;
export type OnEvent = (event: StepEvent) => void | Promise<void>;

export interface FinalTool<T> {
  definition: Anthropic.Tool;
  schema: z.ZodType<T>;
}

export interface ToolLoopOptions<T> {
  model: ModelClient;
  request: Pick<ModelRequest, 'step' | 'issue' | 'attempt' | 'model' | 'system' | 'maxTokens'>;
  firstMessage: string;
  toolbox: Toolbox;
  final: FinalTool<T>;
  /** tool_choice of a turn; `last` is true for the last turn the cap allows. */
  toolChoice: (last: boolean) => Anthropic.ToolChoice;
  maxTurns: number;
  onEvent: OnEvent;
}

interface LoopTally {
  /** Requests sent. */
  turns: number;
  /** Toolbox calls executed (the final tool and malformed calls not included). */
  toolCalls: number;
  /** One-line reasons of the calls that were refused or failed, in order (at most MAX_TOOL_ERRORS). */
  toolErrors: string[];
}

export type ToolLoopOutcome<T> =
  | ({ status: 'ok'; value: T } & LoopTally)
  | ({ status: 'failed'; reason: LoopFailureReason; detail: string } & LoopTally);

const MAX_TOOL_ERRORS = 50;

/** The first line of a text, bounded (for events and one-line reasons). */
export function oneLine(text: string, max = 300): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A tool input for the event log: long strings (file contents) replaced by their length. */
export function summarizeInput(input: unknown): unknown {
  if (typeof input === 'string') return input.length > 200 ? `<${input.length} characters>` : input;
  if (Array.isArray(input)) return input.slice(0, 20).map(summarizeInput);
  if (input !== null && typeof input === 'object') {
    return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, summarizeInput(value)]));
  }
  return input;
}

/** The reply as the next request's assistant turn (never empty: the API refuses an empty turn). */
function assistantMessage(response: ModelResponse): Anthropic.MessageParam {
  const turn = assistantTurn(response);
  const empty = Array.isArray(turn.content) && turn.content.length === 0;
  return empty ? { role: 'assistant', content: [{ type: 'text', text: '(empty reply)' }] } : turn;
}

function validationMessage(error: z.ZodError): string {
  return z.prettifyError(error).replace(/\s*\n\s*/g, ' ');
}

/** The zod schema of each offered toolbox tool (the agent's tools: tools/definitions.ts). */
function inputValidators(definitions: Anthropic.Tool[]): Map<string, z.ZodType> {
  const validators = new Map<string, z.ZodType>();
  for (const { name } of definitions) {
    if (validators.has(name))
      throw new FactoryError('usage', `tool ${name} is offered twice`, { tool: name });
    if (!Object.hasOwn(TOOL_INPUT_SCHEMAS, name)) {
      throw new FactoryError('usage', `tool ${name} has no input schema in tools/definitions.ts`, {
        tool: name,
      });
    }
    validators.set(name, TOOL_INPUT_SCHEMAS[name as ToolName]);
  }
  return validators;
}

const STOP_FAILURES: Partial<Record<Anthropic.StopReason, { reason: LoopFailureReason; detail: string }>> = {
  max_tokens: { reason: 'max_tokens', detail: 'the reply was cut at max_tokens' },
  refusal: { reason: 'model_refusal', detail: 'the model refused to continue' },
  model_context_window_exceeded: {
    reason: 'context_window',
    detail: "the conversation filled the model's context",
  },
};

export async function runToolLoop<T>(options: ToolLoopOptions<T>): Promise<ToolLoopOutcome<T>> {
  const { model, toolbox, final, onEvent } = options;
  if (!Number.isInteger(options.maxTurns) || options.maxTurns < 1) {
    throw new FactoryError('usage', `maxTurns must be a positive integer, got ${options.maxTurns}`);
  }
  if (toolbox.definitions.some((definition) => definition.name === final.definition.name)) {
    throw new FactoryError(
      'usage',
      `the toolbox must not define the step's own tool ${final.definition.name}`,
    );
  }
  const tools = [...toolbox.definitions, final.definition];
  const validators = inputValidators(toolbox.definitions);
  const toolNames = tools.map((tool) => tool.name).join(', ');
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: options.firstMessage }];
  const tally: LoopTally = { turns: 0, toolCalls: 0, toolErrors: [] };
  let silentReplies = 0;
  let malformedReplies = 0;

  const fail = async (reason: LoopFailureReason, detail: string): Promise<ToolLoopOutcome<T>> => {
    await onEvent({ kind: 'note', event: 'step_failed', reason, detail, turns: tally.turns });
    return { status: 'failed', reason, detail, ...tally };
  };

  for (;;) {
    if (tally.turns >= options.maxTurns) {
      return fail(
        'turn_cap',
        `the step used its ${options.maxTurns} turns without calling ${final.definition.name}`,
      );
    }
    const last = tally.turns + 1 === options.maxTurns;
    const response = await model.create({
      ...options.request,
      messages: [...messages],
      tools,
      toolChoice: options.toolChoice(last),
    });
    tally.turns += 1;

    const stopFailure = response.stopReason ? STOP_FAILURES[response.stopReason] : undefined;
    if (stopFailure) return fail(stopFailure.reason, stopFailure.detail);

    messages.push(assistantMessage(response));
    const uses = toolUses(response);
    if (uses.length === 0) {
      silentReplies += 1;
      if (silentReplies >= 2) return fail('no_tool_call', 'two replies in a row called no tool');
      await onEvent({ kind: 'note', event: 'reminder', turn: tally.turns });
      messages.push({ role: 'user', content: reminder(final.definition.name) });
      continue;
    }
    silentReplies = 0;

    const results: Anthropic.ToolResultBlockParam[] = [];
    let finalValue: { value: T } | undefined;
    let malformed: string | undefined;
    const reject = async (use: ToolUse, error: string): Promise<void> => {
      malformed = error;
      results.push(toolResult(use.id, error, true));
      await onEvent({
        kind: 'tool_call',
        tool: use.name,
        input: summarizeInput(use.input),
        verdict: 'malformed',
        error,
        turn: tally.turns,
      });
    };

    for (const use of uses) {
      if (use.name === final.definition.name) {
        const parsed = final.schema.safeParse(use.input);
        if (!parsed.success) {
          await reject(use, `invalid input for ${use.name}: ${validationMessage(parsed.error)}`);
          continue;
        }
        if (finalValue === undefined) finalValue = { value: parsed.data };
        results.push(toolResult(use.id, 'accepted'));
        await onEvent({
          kind: 'tool_call',
          tool: use.name,
          input: summarizeInput(use.input),
          verdict: 'ok',
          turn: tally.turns,
        });
        continue;
      }
      const validator = validators.get(use.name);
      if (!validator) {
        await reject(use, `unknown tool ${use.name}; the tools are: ${toolNames}`);
        continue;
      }
      const parsed = validator.safeParse(use.input);
      if (!parsed.success) {
        await reject(use, `invalid input for ${use.name}: ${validationMessage(parsed.error)}`);
        continue;
      }
      const outcome = await toolbox.execute(use.name, parsed.data);
      tally.toolCalls += 1;
      const content =
        outcome.content.length > 0 ? outcome.content : outcome.isError ? `${use.name} failed` : '(no output)';
      const reason = oneLine(content);
      results.push(toolResult(use.id, content, outcome.isError));
      if (outcome.isError && tally.toolErrors.length < MAX_TOOL_ERRORS) {
        tally.toolErrors.push(`${use.name}: ${reason}`);
      }
    }

    if (finalValue !== undefined) return { status: 'ok', value: finalValue.value, ...tally };
    if (malformed !== undefined) {
      malformedReplies += 1;
      if (malformedReplies >= 2) {
        return fail(
          'malformed',
          `two replies in a row held a malformed tool call; the last: ${oneLine(malformed)}`,
        );
      }
    } else {
      malformedReplies = 0;
    }
    messages.push({ role: 'user', content: results });
  }
}

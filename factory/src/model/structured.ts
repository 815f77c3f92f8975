import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { assistantTurn, toolResult, toolUses } from './content.ts';
import type { ModelClient, ModelRequest, ModelResponse } from './types.ts';

/**
 * Structured answers are forced tool calls (`tool_choice: {type: "tool", name}`) whose input is
 * validated with zod. A malformed answer (no call, another tool, invalid input) is answered once
 * with `tool_result`s marked `is_error` holding the validation error; a second malformed answer
 * fails with `model_error` (reason `malformed_answer`).
 */

const MAX_ERROR_CHARS = 2_000;

/** An Anthropic tool whose input schema is the JSON Schema of a zod object. */
export function toolFromSchema(name: string, description: string, schema: z.ZodType): Anthropic.Tool {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return {
    name,
    description,
    input_schema: { ...jsonSchema, type: 'object' } as Anthropic.Tool.InputSchema,
  };
}

export type ToolAnswer<T> = { ok: true; value: T; toolUseId: string } | { ok: false; error: string };

/** Reads the forced tool's input from a response; `error` says what was wrong, for the model. */
export function readToolAnswer<S extends z.ZodType>(
  response: Pick<ModelResponse, 'content' | 'stopReason'>,
  toolName: string,
  schema: S,
): ToolAnswer<z.infer<S>> {
  const uses = toolUses(response);
  const use = uses.find((block) => block.name === toolName);
  if (!use) {
    const called = uses.map((block) => block.name);
    return {
      ok: false,
      error:
        called.length > 0
          ? `wrong tool: called ${called.join(', ')}; answer by calling ${toolName}`
          : `no tool call (stop_reason ${response.stopReason ?? 'null'}); answer by calling ${toolName}`,
    };
  }
  const parsed = schema.safeParse(use.input);
  if (!parsed.success) {
    const truncated = response.stopReason === 'max_tokens' ? ' (the answer was cut off at max_tokens)' : '';
    return {
      ok: false,
      error: `invalid input for ${toolName}${truncated}:\n${z.prettifyError(parsed.error)}`.slice(
        0,
        MAX_ERROR_CHARS,
      ),
    };
  }
  return { ok: true, value: parsed.data, toolUseId: use.id };
}

/**
 * The follow-up turn after a malformed answer: the assistant's reply as it was, then a user turn
 * answering each of its tool calls with an error (the API requires a result for every call), or a
 * plain text reminder when it made none.
 */
export function correctionTurns(response: ModelResponse, error: string): Anthropic.MessageParam[] {
  const turns: Anthropic.MessageParam[] = [];
  const assistant = assistantTurn(response);
  const uses = toolUses(response);
  if (Array.isArray(assistant.content) && assistant.content.length > 0) turns.push(assistant);
  if (uses.length > 0) {
    turns.push({ role: 'user', content: uses.map((use) => toolResult(use.id, `error: ${error}`, true)) });
  } else {
    turns.push({ role: 'user', content: [{ type: 'text', text: `error: ${error}` }] });
  }
  return turns;
}

export interface ForcedToolCall<S extends z.ZodType> {
  client: ModelClient;
  /** Its `tools` must include `toolName`; its `toolChoice` is replaced by the forced choice. */
  request: ModelRequest;
  toolName: string;
  schema: S;
}

export async function callForcedTool<S extends z.ZodType>({
  client,
  request,
  toolName,
  schema,
}: ForcedToolCall<S>): Promise<{ value: z.infer<S>; responses: ModelResponse[] }> {
  if (!request.tools.some((tool) => tool.name === toolName)) {
    throw new FactoryError('usage', `callForcedTool: the request does not offer the tool ${toolName}`, {
      step: request.step,
      tool: toolName,
    });
  }
  const forced: ModelRequest = { ...request, toolChoice: { type: 'tool', name: toolName } };
  const responses: ModelResponse[] = [];

  const first = await client.create(forced);
  responses.push(first);
  const answer = readToolAnswer(first, toolName, schema);
  if (answer.ok) return { value: answer.value, responses };

  const retry: ModelRequest = {
    ...forced,
    messages: [...forced.messages, ...correctionTurns(first, answer.error)],
  };
  const second = await client.create(retry);
  responses.push(second);
  const again = readToolAnswer(second, toolName, schema);
  if (again.ok) return { value: again.value, responses };

  throw new FactoryError(
    'model_error',
    `malformed answer from the ${request.step} model twice (issue #${request.issue}): ${again.error}`,
    {
      reason: 'malformed_answer',
      step: request.step,
      issue: request.issue,
      attempt: request.attempt,
      tool: toolName,
      firstError: answer.error,
      error: again.error,
      requestIds: responses.map((response) => response.requestId),
    },
  );
}

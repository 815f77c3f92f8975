import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import type { ModelClient, ModelsConfig } from '../model/types.ts';
import { DoneInputSchema, TOOL_DEFINITIONS } from '../tools/definitions.ts';
import { AGENT_TOOL_NAMES } from '../tools/toolbox.ts';
import type { Toolbox } from '../tools/types.ts';
import { LOOP_FAILURE_REASONS, type OnEvent, runToolLoop } from './tool-loop.ts';

/**
 * Implement and fix: the agent loop on the main model, offering exactly list_files, read_file,
 * search, write_file, edit_file, run and done. `done {summary}` ends the step once the other calls
 * of its reply have run; a `done` while the worktree's diff is empty fails with `no_change`. The
 * other rules (reminder, malformed input, max_tokens, turn cap) are the shared turn loop's.
 */

export const AGENT_FAILURE_REASONS = ['no_change', ...LOOP_FAILURE_REASONS] as const;
export type AgentFailureReason = (typeof AGENT_FAILURE_REASONS)[number];

const Counters = {
  /** Requests sent. */
  turns: z.number().int().nonnegative(),
  /** Tool calls executed (done and malformed calls not included). */
  toolCalls: z.number().int().nonnegative(),
  /** One-line reasons of the calls that were refused or failed. */
  toolErrors: z.array(z.string()),
};

export const AgentResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), summary: z.string(), ...Counters }),
  z.object({
    status: z.literal('failed'),
    reason: z.enum(AGENT_FAILURE_REASONS),
    /** One line a person can act on. */
    detail: z.string(),
    /** The agent's own summary when it called done (e.g. on no_change). */
    summary: z.string().optional(),
    ...Counters,
  }),
]);
export type AgentResult = z.infer<typeof AgentResultSchema>;

export const AGENT_MAX_TOKENS = 16_000;

export interface AgentLoopOptions {
  model: ModelClient;
  models: Pick<ModelsConfig, 'main'>;
  /** The worktree's tools: exactly list_files, read_file, search, write_file, edit_file, run. */
  toolbox: Toolbox;
  step: 'implement' | 'fix';
  /** The issue (its number goes into the x-factory-issue header). */
  issue: number | { number: number };
  /** 0 for implement, K for the K-th fix round. */
  attempt: number;
  /** implementFirstMessage(...) or fixFirstMessage(...). */
  firstMessage: string;
  /** implementSystemPrompt(...) or fixSystemPrompt(...). */
  system: string;
  /** policy.limits.maxTurnsPerStep */
  maxTurns: number;
  /** Asked when the agent calls done: true fails the step with no_change. */
  diffIsEmpty: () => Promise<boolean>;
  onEvent: OnEvent;
  maxTokens?: number;
}

function checkToolbox(toolbox: Toolbox): void {
  const offered = toolbox.definitions.map((tool) => tool.name).sort();
  const expected = [...AGENT_TOOL_NAMES].sort();
  if (offered.join(',') !== expected.join(',')) {
    throw new FactoryError('usage', `the agent's toolbox must offer exactly ${expected.join(', ')}`, {
      offered,
    });
  }
}

/** Propagates the model client's errors (budget_exceeded, model_error). */
export async function runAgentLoop(options: AgentLoopOptions): Promise<AgentResult> {
  checkToolbox(options.toolbox);
  const outcome = await runToolLoop({
    model: options.model,
    request: {
      step: options.step,
      issue: typeof options.issue === 'number' ? options.issue : options.issue.number,
      attempt: options.attempt,
      model: options.models.main,
      system: options.system,
      maxTokens: options.maxTokens ?? AGENT_MAX_TOKENS,
    },
    firstMessage: options.firstMessage,
    toolbox: options.toolbox,
    final: { definition: TOOL_DEFINITIONS.done, schema: DoneInputSchema },
    toolChoice: () => ({ type: 'auto' }),
    maxTurns: options.maxTurns,
    onEvent: options.onEvent,
  });
  const counters = { turns: outcome.turns, toolCalls: outcome.toolCalls, toolErrors: outcome.toolErrors };
  if (outcome.status === 'failed') {
    return AgentResultSchema.parse({
      status: 'failed',
      reason: outcome.reason,
      detail: outcome.detail,
      ...counters,
    });
  }
  const { summary } = outcome.value;
  if (await options.diffIsEmpty()) {
    const detail = 'done was called but the worktree has no change against the base commit';
    await options.onEvent({ kind: 'note', event: 'step_failed', reason: 'no_change', detail });
    return AgentResultSchema.parse({ status: 'failed', reason: 'no_change', detail, summary, ...counters });
  }
  return AgentResultSchema.parse({ status: 'ok', summary, ...counters });
}

import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { toolFromSchema } from '../model/structured.ts';
import type { ModelClient, ModelsConfig } from '../model/types.ts';
import { READ_ONLY_TOOL_NAMES } from '../tools/definitions.ts';
import type { Toolbox } from '../tools/types.ts';
import { type IssueForModel, planSystemPrompt, renderIssue } from './prompts.ts';
import { LOOP_FAILURE_REASONS, type OnEvent, runToolLoop } from './tool-loop.ts';

/**
 * Plan: turns on the main model with the read-only tools plus `submit_plan` and
 * `tool_choice: {type: "any"}`; the last turn the cap allows forces `submit_plan`. The stored plan
 * becomes the PR body and the implementer's brief.
 */

export const PLAN_TOOL = 'submit_plan';

export const SubmitPlanInputSchema = z.object({
  summary: z.string().trim().min(1, 'summary must not be empty'),
  steps: z.array(z.string().trim().min(1)).min(1, 'a plan has at least one step'),
  files: z.array(z.string().trim().min(1)),
  risks: z.array(z.string().trim().min(1)),
});
export type SubmittedPlan = z.infer<typeof SubmitPlanInputSchema>;

export const PLAN_TOOL_DEFINITION = toolFromSchema(
  PLAN_TOOL,
  'Submit the plan of the change: summary, ordered steps, the files to create or modify, and the risks. Ends planning.',
  SubmitPlanInputSchema,
);

const Counters = {
  turns: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  toolErrors: z.array(z.string()),
};

export const PlanResultSchema = z.discriminatedUnion('status', [
  SubmitPlanInputSchema.extend({ status: z.literal('ok'), ...Counters }),
  z.object({
    status: z.literal('failed'),
    reason: z.enum(LOOP_FAILURE_REASONS),
    detail: z.string(),
    ...Counters,
  }),
]);
export type PlanResult = z.infer<typeof PlanResultSchema>;

export const PLAN_MAX_TOKENS = 4096;

export interface PlanOptions {
  model: ModelClient;
  models: Pick<ModelsConfig, 'main'>;
  /** Read-only: list_files, read_file, search (anything else is refused before a request is sent). */
  toolbox: Toolbox;
  issue: IssueForModel;
  missionProse: string;
  /** policy.limits.maxTurnsPerStep */
  maxTurns: number;
  onEvent: OnEvent;
}

/** Propagates the model client's errors (budget_exceeded, model_error). */
export async function planChange(options: PlanOptions): Promise<PlanResult> {
  const readOnly = new Set<string>(READ_ONLY_TOOL_NAMES);
  const extra = options.toolbox.definitions
    .filter((tool) => !readOnly.has(tool.name))
    .map((tool) => tool.name);
  if (extra.length > 0) {
    throw new FactoryError('usage', `planChange needs a read-only toolbox; it offers ${extra.join(', ')}`, {
      extra,
    });
  }
  const outcome = await runToolLoop({
    model: options.model,
    request: {
      step: 'plan',
      issue: options.issue.number,
      attempt: 0,
      model: options.models.main,
      system: planSystemPrompt(options.missionProse),
      maxTokens: PLAN_MAX_TOKENS,
    },
    firstMessage: `${renderIssue(options.issue)}\n\nRead the code this issue concerns, then call ${PLAN_TOOL}. You have at most ${options.maxTurns} turns.`,
    toolbox: options.toolbox,
    final: { definition: PLAN_TOOL_DEFINITION, schema: SubmitPlanInputSchema },
    toolChoice: (last) => (last ? { type: 'tool', name: PLAN_TOOL } : { type: 'any' }),
    maxTurns: options.maxTurns,
    onEvent: options.onEvent,
  });
  const counters = { turns: outcome.turns, toolCalls: outcome.toolCalls, toolErrors: outcome.toolErrors };
  if (outcome.status === 'failed') {
    return PlanResultSchema.parse({
      status: 'failed',
      reason: outcome.reason,
      detail: outcome.detail,
      ...counters,
    });
  }
  return PlanResultSchema.parse({ status: 'ok', ...outcome.value, ...counters });
}

import { z } from 'zod';
import { callForcedTool, toolFromSchema } from '../model/structured.ts';
import type { ModelClient, ModelsConfig } from '../model/types.ts';
import { type IssueForModel, renderIssue, triageSystemPrompt } from './prompts.ts';

/**
 * Triage: one forced `triage_decision` call on the triage model, against the mission's prose. The
 * deterministic limits (body size, flood limit, an active run) are checked by the engine before
 * this is called; this step only returns the model's verdict, validated.
 */

export const TRIAGE_TOOL = 'triage_decision';

export const TriageResultSchema = z.object({
  decision: z.enum(['accept', 'reject', 'needs-human']),
  kind: z.enum(['bug', 'feature', 'question', 'other']),
  priority: z.enum(['high', 'normal', 'low']),
  reason: z.string().trim().min(1, 'reason must not be empty'),
});
export type TriageResult = z.infer<typeof TriageResultSchema>;

export const TRIAGE_TOOL_DEFINITION = toolFromSchema(
  TRIAGE_TOOL,
  'Record the triage decision for the issue: accept, reject or needs-human, with its kind, priority and reason.',
  TriageResultSchema,
);

export const TRIAGE_MAX_TOKENS = 1024;

export interface TriageOptions {
  model: ModelClient;
  models: Pick<ModelsConfig, 'triage'>;
  issue: IssueForModel;
  missionProse: string;
  /** Always 0: triage happens once per run. */
  attempt?: number;
}

/** Throws FactoryError('budget_exceeded') before the call, or 'model_error' (e.g. malformed_answer twice). */
export async function triageIssue(options: TriageOptions): Promise<TriageResult> {
  const { value } = await callForcedTool({
    client: options.model,
    request: {
      step: 'triage',
      issue: options.issue.number,
      attempt: options.attempt ?? 0,
      model: options.models.triage,
      system: triageSystemPrompt(options.missionProse),
      messages: [
        {
          role: 'user',
          content: `${renderIssue(options.issue)}\n\nDecide on this issue by calling ${TRIAGE_TOOL}.`,
        },
      ],
      tools: [TRIAGE_TOOL_DEFINITION],
      toolChoice: { type: 'tool', name: TRIAGE_TOOL },
      maxTokens: TRIAGE_MAX_TOKENS,
    },
    toolName: TRIAGE_TOOL,
    schema: TriageResultSchema,
  });
  return value;
}

import { z } from 'zod';
import { callForcedTool, toolFromSchema } from '../model/structured.ts';
import type { ModelClient, ModelsConfig } from '../model/types.ts';
import type { StopReason } from '../policy/schema.ts';
import { type ParsedIssueForm, renderIssueForm } from './issue-form.ts';
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
  'Record the triage decision for the issue: accept, reject or needs-human, with its kind, priority and reason (for a question: the answer).',
  TriageResultSchema,
);

export const TRIAGE_MAX_TOKENS = 1024;

export interface TriageOptions {
  model: ModelClient;
  models: Pick<ModelsConfig, 'triage'>;
  issue: IssueForModel;
  missionProse: string;
  /** The issue form's fields (intake parsed them from the body), shown to the model beside the issue. */
  form?: ParsedIssueForm | null;
  /** Always 0: triage happens once per run. */
  attempt?: number;
}

/**
 * What the decision does to the run, in code: a rejection ends it; a question (by its form, or as
 * triage classed it) is answered in the triage comment and labelled, never implemented; needs-human
 * ends it; only an accepted non-question goes on to plan. undefined = go on.
 */
export function triageStopReason(
  decision: Pick<TriageResult, 'decision' | 'kind'>,
  form: Pick<ParsedIssueForm, 'kind'> | null | undefined,
): StopReason | undefined {
  if (decision.decision === 'reject') return 'triage_rejected';
  if (form?.kind === 'question' || decision.kind === 'question') return 'triage_question';
  if (decision.decision === 'needs-human') return 'triage_needs_human';
  return undefined;
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
          content: [
            renderIssue(options.issue),
            ...(options.form ? ['', renderIssueForm(options.form)] : []),
            '',
            `Decide on this issue by calling ${TRIAGE_TOOL}.`,
          ].join('\n'),
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

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';

/**
 * A scenario file: what the scripted model server answers, in order, per model step, issue and
 * fix round. Requests are routed by their `x-factory-step`, `x-factory-issue` and
 * `x-factory-attempt` headers: each request takes the FIRST unconsumed response whose `step`
 * equals the header and whose `issue` and `attempt` equal theirs (an omitted `issue` or `attempt`
 * matches any). A response with `fault` first answers one matching request with that HTTP error
 * (429 rate_limit_error, 500 api_error, 529 overloaded_error), then the next one with its content.
 * A request that nothing matches gets a 400 naming its step, issue and attempt.
 *
 * The format is documented with a complete example in factory/README.md ("Scenario files").
 */

export const MODEL_STEPS = ['triage', 'plan', 'implement', 'fix', 'review'] as const;
export const ModelStepSchema = z.enum(MODEL_STEPS);

export const FAULT_STATUSES = [429, 500, 529] as const;
export const FaultSchema = z.union([z.literal(429), z.literal(500), z.literal(529)]);
export type Fault = z.infer<typeof FaultSchema>;

const Count = z.number().int('must be a whole number').nonnegative('must be >= 0');

/** Usage figures as the API names them. Omitted ones are computed from the request (see server). */
export const ScenarioUsageSchema = z
  .object({
    input_tokens: Count.optional(),
    output_tokens: Count.optional(),
    cache_creation_input_tokens: Count.optional(),
    cache_read_input_tokens: Count.optional(),
  })
  .strict();
export type ScenarioUsage = z.infer<typeof ScenarioUsageSchema>;

export const ScenarioTextBlockSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();

export const ScenarioToolUseBlockSchema = z
  .object({
    type: z.literal('tool_use'),
    /** Default: `toolu_scripted_<n>`, unique within the server's lifetime. */
    id: z.string().min(1).optional(),
    name: z.string().min(1, 'a tool_use needs the tool name'),
    input: z.record(z.string(), z.unknown()),
  })
  .strict();

export const ScenarioBlockSchema = z.discriminatedUnion('type', [
  ScenarioTextBlockSchema,
  ScenarioToolUseBlockSchema,
]);
export type ScenarioBlock = z.infer<typeof ScenarioBlockSchema>;

export const STOP_REASONS = ['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'refusal'] as const;

export const ScenarioResponseSchema = z
  .object({
    step: ModelStepSchema,
    /** Issue number (`x-factory-issue`); omitted: any issue. */
    issue: z.number().int().positive().optional(),
    /** 0 for triage/plan/implement/first review, K for fix round K (`x-factory-attempt`); omitted: any. */
    attempt: Count.optional(),
    /** Answer one matching request with this HTTP error first (the SDK retries it). */
    fault: FaultSchema.optional(),
    /** Default: `tool_use` when the content has a tool_use block, else `end_turn`. */
    stopReason: z.enum(STOP_REASONS).optional(),
    content: z.array(ScenarioBlockSchema),
    usage: ScenarioUsageSchema.optional(),
    /** Free text for the reader of the scenario; ignored by the server. */
    note: z.string().optional(),
  })
  .strict();
export type ScenarioResponse = z.infer<typeof ScenarioResponseSchema>;

/** An issue to file before the run (used by `pnpm factory demo`); filed in order. */
export const ScenarioIssueSchema = z
  .object({
    /** The number the issue is expected to get in an empty forge (1, 2, …); checked when filed. */
    number: z.number().int().positive().optional(),
    title: z.string().min(1),
    body: z.string(),
    author: z.string().min(1).optional(),
    labels: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type ScenarioIssue = z.infer<typeof ScenarioIssueSchema>;

export const ScenarioSchema = z
  .object({
    description: z.string().optional(),
    defaults: z.object({ usage: ScenarioUsageSchema.optional() }).strict().optional(),
    issues: z.array(ScenarioIssueSchema).optional(),
    responses: z.array(ScenarioResponseSchema),
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(data);
  if (!parsed.success) {
    throw new FactoryError('usage', `${source} is not a valid scenario:\n${z.prettifyError(parsed.error)}`, {
      source,
    });
  }
  return parsed.data;
}

export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FactoryError('usage', `${path} is not JSON: ${(err as Error).message}`, { source: path });
  }
  return parseScenario(data, path);
}

/** `plan issue=3 attempt=0`, with `*` for a wildcard. */
export function describeKey(key: {
  step: string;
  issue?: number | undefined;
  attempt?: number | undefined;
}): string {
  return `${key.step} issue=${key.issue ?? '*'} attempt=${key.attempt ?? '*'}`;
}

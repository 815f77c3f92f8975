import { z } from 'zod';
import { RunStateSchema, StepStatusSchema } from '../runs/types.ts';

/** `pnpm factory run --json` prints exactly this object (a public contract: add fields, never rename). */
export const RunReportSchema = z.object({
  runId: z.string(),
  issue: z.number().int().positive(),
  status: RunStateSchema,
  pr: z.number().int().positive().nullable(),
  steps: z.array(z.object({ name: z.string(), status: StepStatusSchema, durationMs: z.number() })),
  cost: z.object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    usd: z.number().nullable(),
  }),
  durationMs: z.number(),
  stopReason: z.string().nullable(),
  sandbox: z.string().nullable(),
});
export type RunReport = z.infer<typeof RunReportSchema>;

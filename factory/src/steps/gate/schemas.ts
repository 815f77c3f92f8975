import { z } from 'zod';

/**
 * What the gate's two entry processes print on stdout (one JSON document each), and the parts of
 * the evals JSON the factory relies on. Evals summaries pass through untouched (`looseObject`): the
 * judge's own evals code reads them back in `evals gate`.
 */

/** Bump when the entries measure differently: cached measurements of main are then not reused. */
export const GATE_ENTRY_VERSION = 1;

/** The `evals run --json` summary, as far as the factory looks into it. */
export const EvalsSummarySchema = z.looseObject({
  cases: z.number().int().min(0),
  holdout: z.boolean().default(false),
  metrics: z.record(z.string(), z.number()),
  errors: z.number().int().min(0).default(0),
  results: z.array(z.looseObject({ id: z.string() })).optional(),
});
export type EvalsSummary = z.infer<typeof EvalsSummarySchema>;

export const IngestCountsSchema = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  chunks: z.number().int(),
});

/** app-entry.ts: the measured rag-app's side (ingest, server, bridge). Informational only. */
export const AppOutputSchema = z.object({
  version: z.literal(GATE_ENTRY_VERSION),
  ingest: IngestCountsSchema,
  timings: z.object({
    ingestMs: z.number(),
    serverStartMs: z.number(),
    warmupMs: z.number(),
    servedMs: z.number(),
  }),
});
export type AppOutput = z.infer<typeof AppOutputSchema>;

/** judge-entry.ts: the judge's side (main's evals CLI over the bridge). */
export const JudgeOutputSchema = z.object({
  version: z.literal(GATE_ENTRY_VERSION),
  summary: EvalsSummarySchema,
  /** Present when holdout datasets were given: sealed by evals (aggregates only). */
  holdoutSummary: EvalsSummarySchema.optional(),
  timings: z.object({ evalsMs: z.number(), holdoutMs: z.number().optional() }),
});
export type JudgeOutput = z.infer<typeof JudgeOutputSchema>;

/** `evals gate --json` (the judge's GateResult), as far as the factory looks into it. */
export const EvalsGateVerdictSchema = z.looseObject({
  pass: z.boolean(),
  holdout: z.boolean(),
  method: z.string(),
  pairedCases: z.number().int(),
  baselineCases: z.number().int(),
  candidateCases: z.number().int(),
  checks: z.array(
    z.looseObject({
      metric: z.string(),
      baseline: z.number().optional(),
      candidate: z.number().optional(),
      delta: z.number().optional(),
      lo: z.number().optional(),
      hi: z.number().optional(),
      floor: z.number().optional(),
      maxDrop: z.number().optional(),
      status: z.enum(['pass', 'fail', 'skip']),
      reasons: z.array(z.string()),
    }),
  ),
  latency: z
    .looseObject({
      baseline: z.number(),
      candidate: z.number(),
      ratio: z.number(),
      maxRatio: z.number(),
      graceMs: z.number(),
      status: z.enum(['pass', 'fail', 'skip']),
    })
    .optional(),
  errors: z.looseObject({
    baseline: z.number(),
    candidate: z.number(),
    status: z.enum(['pass', 'fail', 'skip']),
  }),
  reasons: z.array(z.string()),
});
export type EvalsGateVerdict = z.infer<typeof EvalsGateVerdictSchema>;

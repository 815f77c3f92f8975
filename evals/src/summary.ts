import { readFile } from 'node:fs/promises';
import { describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { CASE_KINDS, goldSchema } from './dataset.ts';
import { SummaryError } from './errors.ts';

const span = z.object({ videoId: z.string(), start: z.number(), end: z.number() });

export const usageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number(), model: z.string() });

/** One case's outcome, as written in `results` of the run JSON. */
export const caseResultSchema = z.object({
  id: z.string(),
  kind: z.enum(CASE_KINDS),
  dataset: z.string(),
  query: z.string(),
  call: z.enum(['search', 'ask']),
  /** The case's headline verdict (see README): what "went from pass to fail" refers to. */
  pass: z.boolean(),
  /** Per-case metric values; a metric that does not apply to the case is absent. */
  scores: z.record(z.string(), z.number()),
  expectRefusal: z.boolean().optional(),
  refused: z.boolean().optional(),
  latencyMs: z.number(),
  retrieveMs: z.number(),
  answerMs: z.number().optional(),
  usage: usageSchema.optional(),
  judge: z
    .object({
      faithful: z.number(),
      reason: z.string(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      model: z.string(),
    })
    .optional(),
  gold: z.array(goldSchema).optional(),
  top: z.array(span.extend({ citeStart: z.number() })).optional(),
  answer: z.string().optional(),
  citations: z.array(span).optional(),
  error: z.string().optional(),
});
export type CaseResult = z.infer<typeof caseResultSchema>;

export const intervalSchema = z.object({ lo: z.number(), hi: z.number(), se: z.number() });
export type MetricInterval = z.infer<typeof intervalSchema>;

export const metricsSchema = z.record(z.string(), z.number());
export type Metrics = z.infer<typeof metricsSchema>;

export const histogramSchema = z.object({ edgesMs: z.array(z.number()), counts: z.array(z.number()) });
export type Histogram = z.infer<typeof histogramSchema>;

/** The run JSON (`evals run --json`): key names are a public contract. */
export const summarySchema = z.object({
  dataset: z.array(z.string()),
  cases: z.number().int().min(0),
  /** Sealed: run over a holdout set; no per-case results or queries anywhere. */
  holdout: z.boolean().default(false),
  metrics: metricsSchema,
  /** 95 % bootstrap interval of each rate metric over the cases. */
  ci: z.record(z.string(), intervalSchema).default({}),
  byKind: z.record(z.string(), metricsSchema),
  casesByKind: z.record(z.string(), z.number()).default({}),
  errors: z.number().int().min(0).default(0),
  latencyHistogram: histogramSchema.optional(),
  client: z.string().optional(),
  generatedAt: z.string().optional(),
  durationMs: z.number().optional(),
  results: z.array(caseResultSchema).optional(),
});
export type Summary = z.infer<typeof summarySchema>;

export async function readSummary(file: string, shown = file): Promise<Summary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SummaryError(`cannot read ${shown}: ${code === 'ENOENT' ? 'file not found' : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SummaryError(`${shown} is not JSON: ${(err as Error).message}`);
  }
  const parsed = summarySchema.safeParse(json);
  if (!parsed.success) {
    throw new SummaryError(
      `${shown} is not an evals summary: ${describeZodIssues(parsed.error, { max: 1 })}`,
    );
  }
  return parsed.data;
}

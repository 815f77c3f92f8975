import type { RetrievalSettings } from '@dark-factory/rag-app';
import type { RagClient } from './client.ts';
import type { LoadedCase } from './dataset.ts';
import { type RunLogger, runCases } from './runner.ts';
import { summarize } from './summarize.ts';
import type { Summary } from './summary.ts';

/**
 * Real variants of rag-app — its own retrieval with one setting changed through the opt-in
 * `RetrievalSettings.variant` knobs (rag-app/src/retrieve/search.ts), not edited scores. The slight
 * mutants each cost a point or a few on some metric; the neutral controls are the same code with a
 * different seed (lexical scores jittered by ±2.5 %, which only reorders near-ties). Their runs give
 * the gate's power record (src/power.ts) and the slight part of `pnpm evals mutate`.
 */
export interface Variant {
  name: string;
  description: string;
  role: 'slight' | 'neutral';
  retrieval: Partial<RetrievalSettings>;
}

/** Figures measured on the dev sets (evals/README.md "Power"). */
export const SLIGHT_MUTANTS: Variant[] = [
  {
    name: 'bm25-k1-2.5',
    description: 'perturbed ranking parameter: BM25 k1 1.2 → 2.5',
    role: 'slight',
    retrieval: { variant: { bm25: { k1: 2.5, b: 0.5, respell: true } } },
  },
  {
    name: 'bm25-k1-3',
    description: 'perturbed ranking parameter: BM25 k1 1.2 → 3',
    role: 'slight',
    retrieval: { variant: { bm25: { k1: 3, b: 0.5, respell: true } } },
  },
  {
    name: 'no-respell',
    description: 'query respelling onto the corpus vocabulary dropped',
    role: 'slight',
    retrieval: { variant: { bm25: { k1: 1.2, b: 0.5, respell: false } } },
  },
  {
    name: 'lookahead-short',
    description: 'shortened localisation window: lookahead weights [0.8, 0.3] → [0.8]',
    role: 'slight',
    retrieval: { variant: { lookahead: [0.8] } },
  },
  {
    name: 'chunks-withheld-5',
    description: 'a fraction of chunks withheld: 5 % of the store never returned',
    role: 'slight',
    retrieval: { variant: { withhold: { share: 0.05, seed: 1 } } },
  },
  {
    name: 'per-video-2',
    description: 'at most 2 passages per video instead of the default 4',
    role: 'slight',
    retrieval: { maxPerVideo: 2 },
  },
];

export const JITTER_AMOUNT = 0.05;

/** Same code, different seed: `seeds` neutral controls. */
export function neutralControls(seeds: readonly number[]): Variant[] {
  return seeds.map((seed) => ({
    name: `neutral-seed-${seed}`,
    description: `same code, lexical near-ties reordered by seed ${seed}`,
    role: 'neutral',
    retrieval: { variant: { jitter: { amount: JITTER_AMOUNT, seed } } },
  }));
}

/** rag-app opened with other retrieval settings over the same store (in-process only). */
export type OpenVariant = (retrieval: Partial<RetrievalSettings>) => Promise<RagClient>;

export interface VariantRun {
  variant: Variant;
  summary: Summary;
}

export interface MeasureVariantsOptions {
  open: OpenVariant;
  /** The unchanged system. */
  client: RagClient;
  variants: Variant[];
  dataset: string[];
  concurrency?: number;
  logger?: RunLogger;
  onRun?: (name: string, index: number, total: number) => void;
  onCase?: (done: number, total: number) => void;
}

/** Runs the cases on the unchanged system and on every variant, one after the other. */
export async function measureVariants(
  cases: LoadedCase[],
  options: MeasureVariantsOptions,
): Promise<{ baseline: Summary; runs: VariantRun[] }> {
  const total = options.variants.length + 1;
  const run = async (client: RagClient) =>
    summarize(
      await runCases(cases, {
        client,
        concurrency: options.concurrency ?? 4,
        logger: options.logger,
        onCase: options.onCase,
      }),
      { dataset: options.dataset, holdout: false },
    );
  options.onRun?.('unchanged', 1, total);
  const baseline = await run(options.client);
  const runs: VariantRun[] = [];
  for (const [i, variant] of options.variants.entries()) {
    options.onRun?.(variant.name, i + 2, total);
    runs.push({ variant, summary: await run(await options.open(variant.retrieval)) });
  }
  return { baseline, runs };
}

/**
 * Fast sweeps of the offline answerer's knobs (rag-app's ExtractiveSettings) on the answer sets:
 * every question is asked once through the app (search, evidence, the refusal decision), the
 * evidence each answer was given is kept, and each variant's answerer then re-answers from that
 * evidence, scored with the evals' own answer metrics (factRecall, citationMomentAccuracy,
 * citationSupport), per dataset. Evidence-side settings need a full `pnpm evals run` instead.
 *
 *   tsx evals/scripts/tune-answers.ts [--data DIR] [--dataset FILE]... [--variants JSON] [--detail ID]
 *
 * --variants: a JSON array of {"name": …, …Partial<ExtractiveSettings>}, e.g.
 *   '[{"name":"base"},{"name":"items3","maxItems":3}]'
 * Default datasets: ../shared/evals/answerability.dev.jsonl and evals/datasets/answerability.fresh.jsonl
 * (facts and gold merged from evals/datasets as `evals run` does). Uses DATA_DIR (or --data) or
 * DATABASE_URL: a store the corpus was ingested into.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Answerer,
  DEFAULT_EXTRACTIVE,
  ExtractiveAnswerer,
  type ExtractiveSettings,
  loadConfig,
  openRag,
  type SearchHit,
} from '@dark-factory/rag-app';
import { z } from 'zod';
import { type LoadedCase, loadSuite } from '../src/dataset.ts';
import { aggregate } from '../src/metrics/aggregate.ts';
import { DATASETS_DIR, sharedDir } from '../src/paths.ts';
import { scoreCase } from '../src/runner.ts';
import type { CaseResult } from '../src/summary.ts';

const USAGE =
  'tsx evals/scripts/tune-answers.ts [--data DIR] [--dataset FILE]... [--variants JSON] [--detail ID]';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    dataset: { type: 'string', multiple: true },
    variants: { type: 'string', default: '[{"name":"default"}]' },
    detail: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const knobs = Object.keys(DEFAULT_EXTRACTIVE) as (keyof ExtractiveSettings)[];
const variantSchema = z
  .object({ name: z.string().min(1) })
  .catchall(z.number())
  .superRefine((v, ctx) => {
    for (const key of Object.keys(v)) {
      if (key !== 'name' && !knobs.includes(key as keyof ExtractiveSettings)) {
        ctx.addIssue({ code: 'custom', message: `unknown knob ${key} (knobs: ${knobs.join(', ')})` });
      }
    }
  });
const parsed = z.array(variantSchema).min(1).safeParse(JSON.parse(values.variants!));
if (!parsed.success) {
  console.error(`--variants: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  process.exit(2);
}

const files = values.dataset ?? [
  path.join(sharedDir(), 'evals', 'answerability.dev.jsonl'),
  path.join(DATASETS_DIR, 'answerability.fresh.jsonl'),
];
const suite = await loadSuite(files, { factsDir: DATASETS_DIR });
const cases = suite.cases.filter((c) => c.kind === 'answerable');

// The evidence each question's answer was given, kept by question.
type AnswerArgs = Parameters<Answerer['answer']>;
const evidence = new Map<string, { hits: SearchHit[]; opts: AnswerArgs[2] }>();
const first = new ExtractiveAnswerer();
const recording: Answerer = {
  name: 'recording',
  answer: (question, hits, opts) => {
    evidence.set(question, { hits, opts });
    return first.answer(question, hits, opts);
  },
};
const config = loadConfig(values.data ? { ...process.env, DATA_DIR: values.data } : process.env);
const rag = await openRag(config, { answerer: recording });
try {
  if ((await rag.stats()).videos === 0) {
    console.error(
      'the store is empty: ingest the corpus first (pnpm rag ingest --corpus ../shared/corpus/cole-medin)',
    );
    process.exit(2);
  }
  for (const [i, c] of cases.entries()) {
    process.stderr.write(`\rasking ${i + 1}/${cases.length}`);
    await rag.ask(c.query);
  }
  process.stderr.write('\n');
} finally {
  await rag.close();
}

const byDataset = new Map<string, LoadedCase[]>();
for (const c of cases) byDataset.set(c.dataset, [...(byDataset.get(c.dataset) ?? []), c]);
const shown = ['factRecall', 'citationMomentAccuracy', 'citationSupport', 'clauseIntegrity'] as const;

for (const { name, ...settings } of parsed.data) {
  const answerer = new ExtractiveAnswerer(settings as Partial<ExtractiveSettings>);
  const row: string[] = [name.padEnd(16)];
  for (const [dataset, list] of byDataset) {
    const results: CaseResult[] = [];
    for (const c of list) {
      const held = evidence.get(c.query);
      // A question refused before the answerer was called stays refused under every variant.
      const out = held
        ? await answerer.answer(c.query, held.hits, held.opts)
        : { answer: '', refused: true, citations: [] };
      const result = { ...out, timings: { retrieveMs: 0, answerMs: 0 } };
      // Scored as `evals run` scores an ask, and aggregated the same way.
      results.push(scoreCase(c, { call: 'ask', result, latencyMs: 0 }));
      if (values.detail === c.id) console.log(`${name} ${c.id}:\n${out.answer}\n`);
    }
    const m = aggregate(results);
    const answered = results.filter((r) => r.refused === false);
    const citations = answered.reduce((n, r) => n + (r.citations?.length ?? 0), 0);
    row.push(
      `${path.basename(dataset)}: ${shown.map((k) => `${k} ${m[k]?.toFixed(3) ?? '–'}`).join(' ')} answered ${answered.length}/${list.length} citations/answer ${(citations / Math.max(1, answered.length)).toFixed(1)}`,
    );
  }
  console.log(row.join(' | '));
}

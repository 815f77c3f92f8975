/**
 * Fast sweeps of the offline answerer's knobs (rag-app's ExtractiveSettings) on the answer sets:
 * every question is asked once through the app (search, evidence, the refusal decision), the
 * evidence each answer was given is kept, and each variant's answerer then re-answers from that
 * evidence, scored with the evals' own answer metrics (factRecall, citationMomentAccuracy,
 * citationSupport), per dataset. Evidence-side settings need a full `pnpm evals run` instead.
 *
 *   tsx evals/scripts/tune-answers.ts [--data DIR] [--dataset FILE]... [--variants JSON] [--detail ID]
 *     [--per-case] [--jitter-seeds N]
 *
 * --per-case: one line per case and variant with its scores, citation count and the ranks of the
 *   evidence chunks on a gold moment.
 * --jitter-seeds N: also ask under N neutral controls (lexical near-ties reordered, as `evals mutate`
 *   does) and print each variant's mean over the unjittered run and those N: a knob's gain that holds
 *   only on one order of near-ties is noise.
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
import { coversMoment, goldMoments } from '../src/metrics/retrieval.ts';
import { DATASETS_DIR, sharedDir } from '../src/paths.ts';
import { scoreCase } from '../src/runner.ts';
import type { CaseResult } from '../src/summary.ts';
import { JITTER_AMOUNT } from '../src/variants.ts';

const USAGE =
  'tsx evals/scripts/tune-answers.ts [--data DIR] [--dataset FILE]... [--variants JSON] [--detail ID] [--per-case] [--jitter-seeds N]';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    dataset: { type: 'string', multiple: true },
    variants: { type: 'string', default: '[{"name":"default"}]' },
    detail: { type: 'string' },
    'per-case': { type: 'boolean', default: false },
    'jitter-seeds': { type: 'string', default: '0' },
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

// The evidence each question's answer was given, kept by question, per order of near-ties (0: none).
type AnswerArgs = Parameters<Answerer['answer']>;
type Held = { hits: SearchHit[]; opts: AnswerArgs[2] };
const seedCount = z.coerce.number().int().min(0).max(100).safeParse(values['jitter-seeds']);
if (!seedCount.success) {
  console.error('--jitter-seeds: a whole number from 0 to 100');
  process.exit(2);
}
const seeds = Array.from({ length: seedCount.data + 1 }, (_, i) => i);
const evidence = new Map<number, Map<string, Held>>(seeds.map((seed) => [seed, new Map()]));
const first = new ExtractiveAnswerer();
const recorder = (into: Map<string, Held>): Answerer => ({
  name: 'recording',
  answer: (question, hits, opts) => {
    into.set(question, { hits, opts });
    return first.answer(question, hits, opts);
  },
});
const config = loadConfig(values.data ? { ...process.env, DATA_DIR: values.data } : process.env);
const rag = await openRag(config, { answerer: recorder(evidence.get(0)!) });
try {
  if ((await rag.stats()).videos === 0) {
    console.error(
      'the store is empty: ingest the corpus first (pnpm rag ingest --corpus ../shared/corpus/cole-medin)',
    );
    process.exit(2);
  }
  for (const seed of seeds) {
    const jittered =
      seed === 0
        ? rag
        : await openRag(config, {
            db: rag.db,
            answerer: recorder(evidence.get(seed)!),
            retrieval: { variant: { jitter: { amount: JITTER_AMOUNT, seed } } },
          });
    for (const [i, c] of cases.entries()) {
      process.stderr.write(`\rasking ${i + 1}/${cases.length}${seed ? ` (jitter seed ${seed})` : ''}`);
      await jittered.ask(c.query);
    }
  }
  process.stderr.write('\n');
} catch (err) {
  await rag.close();
  throw err;
}

const byDataset = new Map<string, LoadedCase[]>();
for (const c of cases) byDataset.set(c.dataset, [...(byDataset.get(c.dataset) ?? []), c]);
const shown = ['factRecall', 'citationMomentAccuracy', 'citationSupport', 'clauseIntegrity'] as const;

/** One variant's answers to one dataset's cases from one order's evidence, scored as `evals run` does. */
async function scoreRun(
  name: string,
  answerer: ExtractiveAnswerer,
  list: LoadedCase[],
  held: Map<string, Held>,
  verbose: boolean,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of list) {
    const h = held.get(c.query);
    // A question refused before the answerer was called stays refused under every variant.
    const out = h
      ? await answerer.answer(c.query, h.hits, h.opts)
      : { answer: '', refused: true, citations: [] };
    const result = { ...out, timings: { retrieveMs: 0, answerMs: 0 } };
    results.push(scoreCase(c, { call: 'ask', result, latencyMs: 0 }));
    if (!verbose) continue;
    if (values.detail === c.id) console.log(`${name} ${c.id}:\n${out.answer}\n`);
    if (values['per-case']) {
      const s = results.at(-1)!.scores;
      // Ranks of the evidence chunks on a gold moment: whether a miss is the answerer's or retrieval's.
      const moments = goldMoments(c.gold ?? []);
      const goldRanks = (h?.hits ?? [])
        .flatMap((hit, i) => (moments.some((m) => coversMoment(hit, m)) ? [i + 1] : []))
        .join(',');
      const goldVideos = new Set((c.gold ?? []).map((g) => g.videoId));
      const inGoldVideo = out.citations.filter((x) => goldVideos.has(x.videoId)).length;
      console.log(
        `${name} ${c.id.padEnd(10)} fr ${s.factRecall?.toFixed(2) ?? '–'} cma ${s.citationMomentAccuracy?.toFixed(2) ?? '–'} support ${s.citationSupport?.toFixed(2) ?? '–'} citations ${out.citations.length} (${inGoldVideo} in a gold video) gold evidence [${goldRanks}] of ${h?.hits.length ?? 0}`,
      );
    }
  }
  return results;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

for (const { name, ...settings } of parsed.data) {
  const answerer = new ExtractiveAnswerer(settings as Partial<ExtractiveSettings>);
  const row: string[] = [name.padEnd(16)];
  const meanRow: string[] = [`${name} (mean of ${seeds.length} orders)`.padEnd(16)];
  for (const [dataset, list] of byDataset) {
    const results = await scoreRun(name, answerer, list, evidence.get(0)!, true);
    const m = aggregate(results);
    const answered = results.filter((r) => r.refused === false);
    const citations = answered.reduce((n, r) => n + (r.citations?.length ?? 0), 0);
    const words = answered.reduce((n, r) => n + (r.answer ?? '').split(/\s+/).filter(Boolean).length, 0);
    row.push(
      `${path.basename(dataset)}: ${shown.map((k) => `${k} ${m[k]?.toFixed(3) ?? '–'}`).join(' ')} answered ${answered.length}/${list.length} citations/answer ${(citations / Math.max(1, answered.length)).toFixed(1)} words/answer ${Math.round(words / Math.max(1, answered.length))}`,
    );
    if (seeds.length > 1) {
      const perSeed = [m];
      for (const seed of seeds.slice(1)) {
        perSeed.push(aggregate(await scoreRun(name, answerer, list, evidence.get(seed)!, false)));
      }
      meanRow.push(
        `${path.basename(dataset)}: ${shown.map((k) => `${k} ${mean(perSeed.map((x) => x[k] ?? 0)).toFixed(3)}`).join(' ')}`,
      );
    }
  }
  console.log(row.join(' | '));
  if (seeds.length > 1) console.log(meanRow.join(' | '));
}
// The store stays open while variants answer: an answer may read on in a video's transcript.
await rag.close();

/**
 * Measures the refusal threshold (DEFAULT_SUPPORT.threshold in src/answer/support.ts) on labelled
 * questions: runs each through `ask`'s own evidence gathering and decision (judgeEvidence on the
 * gathered moments, corpus statistics from the BM25 index), then prints each case's strength, the
 * sweep of candidate thresholds, the best one (highest balanced accuracy, middle of its plateau)
 * and leave-one-out figures (each case judged at the threshold tuned on all the others).
 *
 *   tsx scripts/tune-refusal.ts [--data DIR] [--shared ../../shared] [--dataset FILE]... [--ingest] [--json]
 *
 * Default datasets: ../shared/evals/answerability.dev.jsonl, evals/datasets/refusal.dev.jsonl and
 * evals/datasets/answerability.fresh.jsonl.
 * Uses the app's config (DATABASE_URL or DATA_DIR; --data overrides DATA_DIR). With --ingest, an
 * empty store is first filled from the shared corpus.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gatherEvidence, judgeEvidence } from '../src/answer/index.ts';
import { bestThreshold, leaveOneOut, thresholdSweep } from '../src/answer/refusal.ts';
import { DEFAULT_SUPPORT } from '../src/answer/support.ts';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/corpus.ts';
import { openRag } from '../src/open.ts';
import { bm25IndexFor } from '../src/retrieve/bm25-index.ts';
import * as videos from '../src/store/videos.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    shared: {
      type: 'string',
      default: process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../shared'),
    },
    dataset: { type: 'string', multiple: true },
    ingest: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'tsx scripts/tune-refusal.ts [--data DIR] [--shared DIR] [--dataset FILE]... [--ingest] [--json]',
  );
  process.exit(0);
}

interface Case {
  id: string;
  kind: 'answerable' | 'refusal';
  query: string;
}

const files = values.dataset ?? [
  path.join(values.shared!, 'evals', 'answerability.dev.jsonl'),
  path.resolve(import.meta.dirname, '../../evals/datasets/refusal.dev.jsonl'),
  path.resolve(import.meta.dirname, '../../evals/datasets/answerability.fresh.jsonl'),
];
const cases = files.flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Case)
    .filter((c) => c.kind === 'answerable' || c.kind === 'refusal'),
);

const config = loadConfig(values.data ? { ...process.env, DATA_DIR: values.data } : process.env);
const rag = await openRag(config);
try {
  if ((await rag.stats()).videos === 0) {
    if (!values.ingest) throw new Error('the store is empty: ingest the corpus first, or pass --ingest');
    const summary = await rag.ingest(corpusSource(path.join(values.shared!, 'corpus', 'cole-medin')));
    console.error(`ingested ${summary.added} videos, ${summary.chunks} chunks in ${summary.seconds}s`);
  }
  const index = await bm25IndexFor(rag.db);
  const page = await videos.listVideos(rag.db, { limit: 100_000, offset: 0 });
  const titles = page.rows.map((r) => ({ videoId: r.video_id, title: r.title }));
  const rows: { id: string; kind: Case['kind']; strength: number; missing: string }[] = [];
  for (const [i, c] of cases.entries()) {
    process.stderr.write(`\r${i + 1}/${cases.length}`);
    const hits = await rag.search(c.query, { k: 8 });
    const evidence = await gatherEvidence(
      c.query,
      hits,
      {
        searchVideo: (videoId, k) => rag.search(c.query, { videoId, k }),
        titles: async () => titles,
        // The opening only adds a moment of a video whose title already counts: it cannot change
        // the decision much, and reading it would need the whole transcript.
        opening: async () => null,
      },
      index,
    );
    const verdict = judgeEvidence(c.query, evidence, index);
    rows.push({
      id: c.id,
      kind: c.kind,
      strength: verdict.support.strength,
      missing: verdict.support.missing.map((t) => t.surface).join(', '),
    });
  }
  process.stderr.write('\n');
  const candidates = Array.from({ length: 41 }, (_, i) => Math.round(i * 0.025 * 1000) / 1000);
  const labelled = rows.map((r) => ({ answerable: r.kind === 'answerable', strength: r.strength }));
  const sweep = thresholdSweep(labelled, candidates);
  const best = bestThreshold(sweep);
  const current = thresholdSweep(labelled, [DEFAULT_SUPPORT.threshold])[0]!;
  const loo = leaveOneOut(labelled, candidates);
  if (values.json) {
    console.log(JSON.stringify({ rows, sweep, best, current, leaveOneOut: loo }, null, 2));
  } else {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
    console.log('id        kind        strength  missing');
    for (const r of [...rows].sort((a, b) => a.strength - b.strength)) {
      console.log(
        `${r.id.padEnd(9)} ${r.kind.padEnd(11)} ${r.strength.toFixed(3).padStart(8)}  ${r.missing}`,
      );
    }
    console.log('\nthreshold  accuracy answered refused');
    for (const s of sweep) {
      console.log(
        `${s.threshold.toFixed(3).padStart(9)}  ${pct(s.accuracy)}  ${pct(s.answeredRate)} ${pct(s.refusedRate)}`,
      );
    }
    console.log(
      `\nbest: ${best?.threshold} (answered ${pct(best?.answeredRate ?? 0).trim()}, refused ${pct(best?.refusedRate ?? 0).trim()});` +
        ` current ${DEFAULT_SUPPORT.threshold}: answered ${pct(current.answeredRate).trim()}, refused ${pct(current.refusedRate).trim()}`,
    );
    console.log(
      `leave-one-out: ${loo.correct}/${rows.length} right; answered ${pct(loo.answeredRate).trim()}, refused ${pct(loo.refusedRate).trim()}` +
        ` (thresholds ${Math.min(...loo.thresholds)}-${Math.max(...loo.thresholds)})`,
    );
  }
} finally {
  await rag.close();
}

/**
 * Measures the refusal threshold (REFUSAL_THRESHOLD in src/answer/refusal.ts) on the answerability
 * dev set: runs each question through real retrieval, computes evidenceStrength on its hits and
 * prints the accuracy of the refuse/answer decision at each candidate threshold.
 *
 *   tsx scripts/tune-refusal.ts [--data DIR] [--shared ../../shared] [--k 8] [--ingest] [--json]
 *
 * Uses the app's config (DATABASE_URL or DATA_DIR; --data overrides DATA_DIR). With --ingest, an
 * empty store is first filled from the shared corpus.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  bestThreshold,
  evidenceFeatures,
  evidenceStrength,
  lexicalStrength,
  REFUSAL_THRESHOLD,
  thresholdSweep,
} from '../src/answer/refusal.ts';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/corpus.ts';
import { openRag } from '../src/open.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    shared: {
      type: 'string',
      default: process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../shared'),
    },
    k: { type: 'string', default: '8' },
    ingest: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

interface Row {
  id: string;
  kind: Case['kind'];
  strength: number;
  lexical: number;
  vectorMax: number | null;
  missing: string;
}

interface Case {
  id: string;
  kind: 'answerable' | 'refusal';
  query: string;
}

const cases = readFileSync(path.join(values.shared!, 'evals', 'answerability.dev.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Case);

const config = loadConfig(values.data ? { ...process.env, DATA_DIR: values.data } : process.env);
const rag = await openRag(config);
try {
  if ((await rag.stats()).videos === 0) {
    if (!values.ingest) throw new Error('the store is empty: ingest the corpus first, or pass --ingest');
    const summary = await rag.ingest(corpusSource(path.join(values.shared!, 'corpus', 'cole-medin')));
    console.error(`ingested ${summary.added} videos, ${summary.chunks} chunks in ${summary.seconds}s`);
  }
  const k = Number(values.k);
  const rows: Row[] = [];
  for (const c of cases) {
    const hits = await rag.search(c.query, { k });
    const f = evidenceFeatures(c.query, hits);
    rows.push({
      id: c.id,
      kind: c.kind,
      strength: evidenceStrength(c.query, hits),
      lexical: lexicalStrength(f),
      vectorMax: f.vectorMax,
      missing: f.missing.join(' '),
    });
  }
  const candidates = Array.from({ length: 31 }, (_, i) => Math.round((0.05 + i * 0.025) * 1000) / 1000);
  const labelled = (pick: (r: Row) => number) =>
    rows.map((r) => ({ answerable: r.kind === 'answerable', strength: pick(r) }));
  const sweep = thresholdSweep(
    labelled((r) => r.strength),
    candidates,
  );
  const lexicalSweep = thresholdSweep(
    labelled((r) => r.lexical),
    candidates,
  );
  const best = bestThreshold(sweep);
  const current = thresholdSweep(
    labelled((r) => r.strength),
    [REFUSAL_THRESHOLD],
  )[0]!;
  if (values.json) {
    console.log(JSON.stringify({ k, rows, sweep, lexicalSweep, best, current }, null, 2));
  } else {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
    const num = (x: number | null, w: number) => (x === null ? '-' : x.toFixed(3)).padStart(w);
    console.log('id        kind        strength lexical vectorMax  missing terms');
    for (const r of [...rows].sort((a, b) => a.strength - b.strength)) {
      console.log(
        `${r.id.padEnd(9)} ${r.kind.padEnd(11)} ${num(r.strength, 8)} ${num(r.lexical, 7)} ${num(r.vectorMax, 9)}  ${r.missing}`,
      );
    }
    console.log('\nthreshold  accuracy answered refused | lexical only: accuracy');
    sweep.forEach((s, i) => {
      console.log(
        `${s.threshold.toFixed(3).padStart(9)}  ${pct(s.accuracy)}  ${pct(s.answeredRate)} ${pct(s.refusedRate)} | ${pct(lexicalSweep[i]!.accuracy)}`,
      );
    });
    console.log(
      `\nbest: ${best?.threshold} (${pct(best?.accuracy ?? 0).trim()}); REFUSAL_THRESHOLD ${REFUSAL_THRESHOLD}: ${pct(current.accuracy).trim()}`,
    );
  }
} finally {
  await rag.close();
}

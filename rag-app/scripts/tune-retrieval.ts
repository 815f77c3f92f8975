/**
 * Ours only, on the dev sets, for fast sweeps while tuning retrieval: one ingest into a kept store,
 * then each named variant of the retrieval settings scored on the key-moment set split in two halves
 * by gold video (tune on A, confirm on B) and on the concept set. The LangChain baseline is fixed
 * by its chunks (key-moments.dev hit@5 ±30 s 771 of 1,090; plain BM25 hit@1 706: bench/results), so it
 * is not rerun here.
 *
 *   tsx scripts/tune-retrieval.ts [--variants default,noLeadIn] [--data DIR] [--misses FILE]
 *
 * Scores use the bench's definitions (bench/quality/metrics.ts); "len5" is the mean span in
 * seconds of the top-5 hits on the key-moment set (what the span-overlap metric rewards).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readCases } from '../bench/quality/cases.ts';
import { meanScores, type RankedSpan, type Scores, scoreCase } from '../bench/quality/metrics.ts';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/corpus.ts';
import { openRag } from '../src/open.ts';
import type { RetrievalSettings } from '../src/retrieve/search.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/tmp/tune-retrieval' },
    shared: { type: 'string', default: path.resolve(import.meta.dirname, '../../../shared') },
    variants: { type: 'string', default: 'default' },
    /** A JSON object of named Partial<RetrievalSettings>, merged over the built-in variants. */
    extra: { type: 'string' },
    /** Writes every key-moment case's top 10 and scores here (JSON Lines), for miss analysis. */
    misses: { type: 'string' },
  },
});

/** The baselines' key-moments.dev figures (bench/results/2026-12-02-quality.json): hits of 1,090. */
const LANGCHAIN_HIT5 = 771 / 1090;
const PLAIN_BM25_HIT1 = 706 / 1090;

const VARIANTS: Record<string, Partial<RetrievalSettings>> = {
  default: {},
  ...(values.extra ? (JSON.parse(readFileSync(values.extra, 'utf8')) as Record<string, object>) : {}),
};

/**
 * Half A or B of the key-moment set: by gold video (md5 of its id, even or odd), so one video's
 * moments stay on one side: 545 cases each.
 */
const half = (videoId: string): 'A' | 'B' =>
  BigInt(`0x${createHash('md5').update(videoId).digest('hex')}`) % 2n === 0n ? 'A' : 'B';

const km = await readCases(path.join(values.shared!, 'evals/key-moments.dev.jsonl'));
const concepts = await readCases(path.join(values.shared!, 'evals/concepts.dev.jsonl'));
const config = loadConfig({ ...process.env, DATA_DIR: values.data!, DATABASE_URL: '' });

const fmt = (s: Scores) =>
  `h1 ${s.hitAt1Moment?.toFixed(3)} h5 ${s.hitAt5Moment?.toFixed(3)} h5v ${s.hitAt5Video?.toFixed(3)} link1 ${s.linkAt1?.toFixed(3)}`;

const misses: unknown[] = [];
for (const name of values.variants!.split(',')) {
  const retrieval = VARIANTS[name];
  if (!retrieval) throw new Error(`unknown variant ${name}`);
  const rag = await openRag(config, { embedder: null, retrieval });
  if ((await rag.stats()).videos === 0) {
    const s = await rag.ingest(corpusSource(path.join(values.shared!, 'corpus/cole-medin')));
    console.log(`ingested ${s.added} videos, ${s.chunks} chunks in ${s.seconds}s`);
  }
  const spans = async (q: string): Promise<RankedSpan[]> =>
    (await rag.search(q, { k: 10 })).map((h) => ({
      videoId: h.videoId,
      start: h.start,
      end: h.end,
      linkSecond: h.citeStart,
    }));
  const byHalf: Record<'A' | 'B', Scores[]> = { A: [], B: [] };
  let len5 = 0;
  let n5 = 0;
  const t0 = performance.now();
  for (const c of km) {
    const ranked = await spans(c.query);
    const s = scoreCase(c, ranked);
    byHalf[half(c.gold[0]!.videoId)].push(s);
    for (const h of ranked.slice(0, 5)) {
      len5 += h.end - h.start;
      n5++;
    }
    if (values.misses)
      misses.push({
        variant: name,
        id: c.id,
        query: c.query,
        gold: c.gold[0],
        hit1: s.hitAt1Moment,
        hit5: s.hitAt5Moment,
        top: ranked.slice(0, 10),
      });
  }
  const ms = (performance.now() - t0) / km.length;
  const con: Scores[] = [];
  for (const c of concepts) con.push(scoreCase(c, await spans(c.query)));
  const all = meanScores([...byHalf.A, ...byHalf.B]);
  const cs = meanScores(con);
  console.log(
    `${name.padEnd(14)} all ${fmt(all)} | A(${byHalf.A.length}) ${fmt(meanScores(byHalf.A))} | B(${byHalf.B.length}) ${fmt(meanScores(byHalf.B))} | len5 ${(len5 / n5).toFixed(1)}s | concepts ${fmt(cs)} rec10v ${cs.recallAt10Video?.toFixed(3)} | ×LC ${((all.hitAt5Moment ?? 0) / LANGCHAIN_HIT5).toFixed(3)} ×BM25 ${((all.hitAt1Moment ?? 0) / PLAIN_BM25_HIT1).toFixed(3)} ${ms.toFixed(0)}ms/q`,
  );
  await rag.close();
}
if (values.misses) writeFileSync(values.misses, `${misses.map((m) => JSON.stringify(m)).join('\n')}\n`);

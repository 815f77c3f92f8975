/**
 * Measures retrieval settings on the dev sets without the evals harness's reporting, for fast
 * sweeps while tuning: `tsx scripts/tune-retrieval.ts [--target 60 --overlap 30] [--data DIR]`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/corpus.ts';
import { openRag } from '../src/open.ts';
import { BM25 } from '../src/retrieve/lexical.ts';
import type { SearchHit } from '../src/types.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: '60' },
    overlap: { type: 'string', default: '30' },
    slack: { type: 'string', default: '20' },
    title: { type: 'string', default: '0' },
    data: { type: 'string' },
    shared: { type: 'string', default: path.resolve(import.meta.dirname, '../../../shared') },
    sample: { type: 'string', default: '400' },
    variants: { type: 'string', default: 'bm25,tsrank,lsa,hybrid' },
    k1: { type: 'string' },
    b: { type: 'string' },
    respell: { type: 'string' },
  },
});
if (values.k1) BM25.k1 = Number(values.k1);
if (values.b) BM25.b = Number(values.b);
if (values.respell) BM25.respell = values.respell === '1';
const target = Number(values.target);
const overlap = Number(values.overlap);
const dataDir =
  values.data ??
  `/tmp/tune-${target}-${overlap}-${values.slack}${values.title === '0' ? '' : `-t${values.title}`}`;
const config = loadConfig({ ...process.env, DATA_DIR: dataDir });

interface Case {
  id: string;
  kind: string;
  query: string;
  gold: { videoId: string; t: number | null }[];
}
const read = (f: string): Case[] =>
  readFileSync(path.join(values.shared!, 'evals', f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Case);
const every = (xs: Case[], n: number) =>
  xs.filter((_, i) => i % Math.max(1, Math.floor(xs.length / n)) === 0);
const km = every(read('key-moments.dev.jsonl'), Number(values.sample));
const concepts = read('concepts.dev.jsonl');

const variants = {
  bm25: { lexicalWeight: 1, vectorWeight: 0, lexical: 'bm25' as const },
  tsrank: { lexicalWeight: 1, vectorWeight: 0, lexical: 'tsrank' as const },
  lsa: { lexicalWeight: 0, vectorWeight: 1 },
  hybrid: { lexicalWeight: 1, vectorWeight: 1 },
  hybrid2: { lexicalWeight: 1, vectorWeight: 0.5 },
  dedup40: { lexicalWeight: 1, vectorWeight: 0, maxOverlap: 0.4 },
  dedup60: { lexicalWeight: 1, vectorWeight: 0, maxOverlap: 0.6 },
  dedup40cap5: { lexicalWeight: 1, vectorWeight: 0, maxOverlap: 0.4, maxPerVideo: 5 },
  prf10: { lexicalWeight: 1, vectorWeight: 0, prfTerms: 10, prfDocs: 5, prfWeight: 0.3 },
  prf20: { lexicalWeight: 1, vectorWeight: 0, prfTerms: 20, prfDocs: 5, prfWeight: 0.2 },
  prf10w5: { lexicalWeight: 1, vectorWeight: 0, prfTerms: 10, prfDocs: 3, prfWeight: 0.5 },
  cap1: { lexicalWeight: 1, vectorWeight: 0, maxPerVideo: 1 },
  nv5: { lexicalWeight: 1, vectorWeight: 0, newVideosAfter: 5 },
  nv3: { lexicalWeight: 1, vectorWeight: 0, newVideosAfter: 3 },
  nv5cap2: { lexicalWeight: 1, vectorWeight: 0, newVideosAfter: 5, maxPerVideo: 2 },
  hybrid03: { lexicalWeight: 1, vectorWeight: 0.3 },
  hybrid015: { lexicalWeight: 1, vectorWeight: 0.15 },
  bm25cap2: { lexicalWeight: 1, vectorWeight: 0, maxPerVideo: 2 },
  bm25cap5: { lexicalWeight: 1, vectorWeight: 0, maxPerVideo: 5 },
  bm25cap1: { lexicalWeight: 1, vectorWeight: 0, maxPerVideo: 1 },
  hybridcap1: { lexicalWeight: 1, vectorWeight: 1, maxPerVideo: 1 },
  hybridcap2: { lexicalWeight: 1, vectorWeight: 1, maxPerVideo: 2 },
  hybridcap10: { lexicalWeight: 1, vectorWeight: 1, maxPerVideo: 10 },
};

const momentHit = (h: SearchHit, g: Case['gold'][number]) =>
  h.videoId === g.videoId && g.t !== null && h.start - 30 <= g.t && g.t <= h.end + 30;

for (const name of values.variants!.split(',')) {
  const rag = await openRag(config, {
    retrieval: variants[name as keyof typeof variants],
    chunkOptions: {
      targetSeconds: target,
      overlapSeconds: overlap,
      sentenceSlackSeconds: Number(values.slack),
      titleTermWeight: Number(values.title),
    },
  });
  if ((await rag.stats()).videos === 0) {
    const s = await rag.ingest(corpusSource(path.join(values.shared!, 'corpus/cole-medin')));
    console.log(`ingested ${s.added} videos, ${s.chunks} chunks in ${s.seconds}s`);
  }
  const m = { hit1: 0, hit5: 0, hit5v: 0, link1: 0, mrr: 0, rec10: 0 };
  const t0 = performance.now();
  for (const c of km) {
    const hits = await rag.search(c.query, { k: 10 });
    const g = c.gold[0]!;
    const first = hits.findIndex((h) => momentHit(h, g));
    if (first === 0) m.hit1++;
    if (first >= 0 && first < 5) m.hit5++;
    if (first >= 0) m.mrr += 1 / (first + 1);
    if (hits.slice(0, 5).some((h) => h.videoId === g.videoId)) m.hit5v++;
    if (hits[0] && hits[0].videoId === g.videoId && Math.abs(hits[0].citeStart - g.t!) <= 15) m.link1++;
  }
  const ms = (performance.now() - t0) / km.length;
  for (const c of concepts) {
    const hits = await rag.search(c.query, { k: 10 });
    const gold = new Set(c.gold.map((g) => g.videoId));
    const found = new Set(hits.map((h) => h.videoId).filter((v) => gold.has(v)));
    m.rec10 += found.size / gold.size;
  }
  const n = km.length;
  console.log(
    `${name.padEnd(12)} hit@1 ${(m.hit1 / n).toFixed(3)} hit@5 ${(m.hit5 / n).toFixed(3)} hit@5v ${(m.hit5v / n).toFixed(3)} mrr ${(m.mrr / n).toFixed(3)} link@1 ${(m.link1 / n).toFixed(3)} conceptRec@10 ${(m.rec10 / concepts.length).toFixed(3)}  ${ms.toFixed(0)}ms/q`,
  );
  await rag.close();
}

/** Text and Markdown tables of the scale figures. Pure. */
import type { Latency } from '../measure.ts';
import { table } from '../report.ts';
import type { ScaleFigures } from './suite.ts';

const n = (x: number) => x.toLocaleString('en-US');
const lat = (l: Latency) => `${l.p50} / ${l.p95}`;

type InMemory = Extract<ScaleFigures['bm25InMemory'], { loaded: true }>;

function latencyRows(figures: readonly ScaleFigures[]): string[][] {
  const mem = (f: ScaleFigures, pick: (m: InMemory) => string) =>
    f.bm25InMemory.loaded ? pick(f.bm25InMemory) : 'not loaded';
  return [
    ['p50 / p95 ms (or as stated)', ...figures.map((f) => `${n(f.chunks)} chunks`)],
    ['postings rows · terms', ...figures.map((f) => `${n(f.postings)} · ${n(f.vocabulary)}`)],
    ['postings on disk (chunk_terms + indexes)', ...figures.map((f) => `${n(f.postingsMb)} MB`)],
    [
      'in-memory BM25: index load',
      ...figures.map((f) => mem(f, (m) => `${m.loadSec} s, +${n(m.heapMb)} MB heap`)),
    ],
    ['in-memory BM25: top 60', ...figures.map((f) => mem(f, (m) => lat(m.search)))],
    ['BM25 in SQL: top 60', ...figures.map((f) => lat(f.bm25Sql))],
    [
      'in-memory = SQL (ids, scores ±1e-9)',
      ...figures.map((f) =>
        mem(
          f,
          (m) =>
            `${m.agreement.queries - m.agreement.differing}/${m.agreement.queries} queries (max rel. Δ ${m.agreement.maxRelativeScoreDiff.toExponential(1)})`,
        ),
      ),
    ],
    ['vector side (HNSW, top 60)', ...figures.map((f) => lat(f.vector))],
    [
      'rag.search lexical (k 10)',
      ...figures.map((f) => `${lat(f.ragLexical.latency)} (${f.ragLexical.ranker})`),
    ],
    [
      'rag.search hybrid (k 10)',
      ...figures.map((f) => `${lat(f.ragHybrid.latency)} (${f.ragHybrid.ranker})`),
    ],
    ['vector exact scan: top 10', ...figures.map((f) => `${lat(f.exactScan)} (${f.recallQueries} q)`)],
    ['HNSW build (m 16, ef_construction 64)', ...figures.map((f) => `${f.hnswBuildSec} s`)],
    ['scale-up to this size', ...figures.map((f) => `${f.scaleUpSec} s`)],
  ];
}

function recallRows(figures: readonly ScaleFigures[]): string[][] {
  const efs = figures[0]?.hnsw.map((p) => p.efSearch) ?? [];
  return [
    ['HNSW ef_search', ...figures.map((f) => `recall@10 (copies folded) · p50 / p95 ms, ${n(f.chunks)}`)],
    ...efs.map((ef) => [
      String(ef),
      ...figures.map((f) => {
        const p = f.hnsw.find((x) => x.efSearch === ef);
        // Results written before copies were folded have no sourceRecallAt10.
        const folded = Number.isFinite(p?.sourceRecallAt10) ? ` (${p!.sourceRecallAt10.toFixed(3)})` : '';
        return p ? `${p.recallAt10.toFixed(3)}${folded} · ${lat(p.latency)}` : '-';
      }),
    ]),
  ];
}

export function scaleReport(figures: readonly ScaleFigures[]): string[] {
  const notes = figures
    .filter((f) => !f.bm25InMemory.loaded)
    .map((f) => `  ${n(f.chunks)} chunks: in-memory BM25 ${(f.bm25InMemory as { reason: string }).reason}`);
  return [
    'scale (PostgreSQL, LSA vectors, synthetic scale-up: bench/scale/scale-up.ts)',
    ...table(latencyRows(figures)),
    '',
    ...table(recallRows(figures)),
    ...notes,
  ];
}

const md = (rows: string[][]) => [
  `| ${rows[0]!.join(' | ')} |`,
  `|${rows[0]!.map(() => ' --- ').join('|')}|`,
  ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
];

export function scaleMarkdown(figures: readonly ScaleFigures[]): string[] {
  return [...md(latencyRows(figures)), '', ...md(recallRows(figures))];
}

/** Plain-text tables for the benchmark figures (pure: figures in, lines out). */
import type { Latency } from './measure.ts';
import type { StoreFigures } from './suite.ts';
import type { Check } from './targets.ts';

const num = (x: number) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 1 }) : '-';

/** Left-aligns the first `left` columns and right-aligns the others, two spaces apart. */
export function table(rows: readonly (readonly string[])[], left = 1, indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

const latencyRow = (name: string, l: Latency, perSec: number, extra = '') => [
  name,
  num(l.n),
  num(l.p50),
  num(l.p95),
  num(l.p99),
  num(l.max),
  num(perSec),
  extra,
];

export function storeReport(f: StoreFigures): string[] {
  const i = f.ingest;
  const lines = [
    `${f.store}`,
    `  ingest     ${num(i.added)} videos, ${num(i.chunks)} chunks, ${num(i.segments)} segments in ${i.seconds} s` +
      ` (${num(i.videosPerSec)} videos/s, ${num(i.chunksPerSec)} chunks/s, ${num(i.segmentsPerSec)} segments/s)` +
      (i.failed ? `, ${i.failed} failed (first: ${i.firstFailure})` : ''),
    `  memory     RSS ${num(f.start.rssMb)} MB at start, ${num(f.opened.rssMb)} MB with the store open,` +
      ` ${num(f.peakRssMb)} MB peak over the whole pass`,
    `             ingest: RSS ${num(i.before.rssMb)} -> ${num(i.after.rssMb)} MB (peak ${num(i.peakRssMb)} MB),` +
      ` heap used ${num(i.before.heapUsedMb)} -> ${num(i.after.heapUsedMb)} MB`,
    `  re-ingest  ${f.reingest.skipped} skipped, ${f.reingest.changed} changed, ${f.reingest.failed} failed in ${f.reingest.seconds} s`,
    `  search     cold first query (BM25 index load) ${num(f.search.coldMs)} ms`,
    '',
  ];
  const rows = [
    ['latency, ms', 'n', 'p50', 'p95', 'p99', 'max', 'per s', ''],
    latencyRow('rag.search', f.search.latency, f.search.qps),
    latencyRow('rag.ask', f.ask.latency, f.ask.qps, `${f.ask.refused} refused`),
    ...f.http.map((r) =>
      latencyRow(
        `POST ${r.route} c${r.concurrency}`,
        r.latency,
        r.rps,
        r.errors ? `${r.errors} errors: ${r.firstError}` : '',
      ),
    ),
  ];
  return [...lines, ...table(rows)];
}

export function targetReport(checks: readonly Check[]): string[] {
  return table(
    [
      ['store', 'check', 'target', 'measured', ''],
      ...checks.map((c) => [c.store, c.name, c.target, c.measured, c.pass ? 'PASS' : 'FAIL']),
    ],
    2,
  );
}

export function targetMarkdown(checks: readonly Check[]): string[] {
  return [
    '| store | check | target | measured | |',
    '| --- | --- | --- | --- | --- |',
    ...checks.map(
      (c) => `| ${c.store} | ${c.name} | ${c.target} | ${c.measured} | ${c.pass ? 'PASS' : 'FAIL'} |`,
    ),
  ];
}

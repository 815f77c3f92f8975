/** The side-by-side tables (text and Markdown) and the goals checked against them. Pure. */
import { table } from '../report.ts';
import { METRICS, type Metric } from './metrics.ts';
import type { QualityFigures, SystemRun } from './suite.ts';

export const METRIC_LABELS: Record<Metric, string> = {
  hitAt1Moment: 'hit@1 (±30 s)',
  hitAt5Moment: 'hit@5 (±30 s)',
  hitAt5Video: 'hit@5 video',
  linkAt1: 'linkAt1 (±15 s)',
  recallAt10Video: 'recall@10 video',
};

/** The bar for ours (issue 10): each on the key-moment set. */
export const QUALITY_GOALS = [
  { metric: 'hitAt5Moment', against: 'langchain', ratio: 1.3 },
  { metric: 'hitAt1Moment', against: 'plainBm25', ratio: 1.1 },
] as const;

export interface GoalCheck {
  dataset: string;
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

const f3 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const fx = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(2)}×`);

function runsOf(f: QualityFigures, dataset: string) {
  const by = new Map<string, SystemRun>();
  for (const r of f.runs) if (r.dataset === dataset) by.set(r.system, r);
  return { lc: by.get('langchain'), plain: by.get('plainBm25'), ours: by.get('ours') };
}

export const datasetsOf = (f: QualityFigures) => [...new Set(f.runs.map((r) => r.dataset))];

function rows(f: QualityFigures, dataset: string): string[][] {
  const { lc, plain, ours } = runsOf(f, dataset);
  const metricRows = METRICS.map((m) => [
    METRIC_LABELS[m],
    f3(lc?.scores[m]),
    f3(plain?.scores[m]),
    f3(ours?.scores[m]),
    fx(ratio(ours?.scores[m], lc?.scores[m])),
    fx(ratio(ours?.scores[m], plain?.scores[m])),
  ]);
  const p = (r: SystemRun | undefined) => (r ? `${r.latency.p50} / ${r.latency.p95}` : '-');
  return [...metricRows, ['latency p50 / p95, ms', p(lc), p(plain), p(ours), '', '']];
}

const HEADER = ['metric', 'LangChain', 'plain BM25', 'ours', 'ours ÷ LangChain', 'ours ÷ plain BM25'];

export function qualityReport(f: QualityFigures): string[] {
  const out = [
    `quality: chunks: LangChain / plain BM25 ${f.chunks.langchain} (RecursiveCharacterTextSplitter 1000/200), ours ${f.chunks.ours}`,
  ];
  for (const d of datasetsOf(f)) {
    const n = runsOf(f, d).ours?.cases ?? 0;
    out.push('', `  ${d} (${n} cases)`, ...table([HEADER, ...rows(f, d)], 1, '    '));
  }
  return out;
}

export function qualityMarkdown(f: QualityFigures): string[] {
  const out: string[] = [];
  for (const d of datasetsOf(f)) {
    const n = runsOf(f, d).ours?.cases ?? 0;
    out.push(
      `**${d}** (${n} cases)`,
      '',
      `| ${HEADER.join(' | ')} |`,
      `|${HEADER.map(() => ' --- ').join('|')}|`,
    );
    for (const r of rows(f, d)) out.push(`| ${r.join(' | ')} |`);
    out.push('');
  }
  return out;
}

/** The goals on the first dataset whose name contains "key-moment" (none when it was not run). */
export function checkGoals(f: QualityFigures): GoalCheck[] {
  const dataset = datasetsOf(f).find((d) => d.includes('key-moment'));
  if (!dataset) return [];
  const runs = runsOf(f, dataset);
  return QUALITY_GOALS.map((g) => {
    const other = g.against === 'langchain' ? runs.lc : runs.plain;
    const r = ratio(runs.ours?.scores[g.metric], other?.scores[g.metric]);
    return {
      dataset,
      name: `ours ÷ ${g.against === 'langchain' ? 'LangChain' : 'plain BM25'}, ${METRIC_LABELS[g.metric]}`,
      target: `≥ ${g.ratio}×`,
      measured: fx(r),
      met: r !== undefined && r >= g.ratio,
    };
  });
}

export function goalReport(goals: readonly GoalCheck[]): string[] {
  return table(
    [
      ['dataset', 'goal', 'target', 'measured', ''],
      ...goals.map((g) => [g.dataset, g.name, g.target, g.measured, g.met ? 'MET' : 'MISSED']),
    ],
    2,
  );
}

// The side-by-side benchmark's pure parts on a tiny fixture: scoring, the LangChain baseline's
// chunk spans, both BM25 baselines, and the goals read from the table (pnpm bench runs them at size).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LANGCHAIN_INSTALL,
  type LangchainBaseline,
  langchainInstalled,
  loadLangchainBaseline,
  toSpan,
} from '../bench/quality/langchain-baseline.ts';
import { meanScores, scoreCase } from '../bench/quality/metrics.ts';
import { PlainBm25 } from '../bench/quality/plain-bm25.ts';
import { checkGoals, qualityReport } from '../bench/quality/report.ts';
import type { QualityFigures, SystemRun } from '../bench/quality/suite.ts';
import { resultsName } from '../bench/sections.ts';
import { filler, video } from './support/videos.ts';

const talk = video('aaaaaaaaaaa', 'Webhooks', [
  ...filler('automation platforms', 10),
  'to set up a webhook trigger in n8n add the webhook node and copy the production url.',
  'then send a test request so the workflow sees the payload.',
  ...filler('automation platforms', 10),
]);

describe('scoreCase (the evals definitions)', () => {
  const c = { id: 'x', kind: 'key-moment', query: 'q', gold: [{ videoId: 'v', t: 100 }] };
  it('counts a span within ±30 s as a moment hit and a link within ±15 s', () => {
    const s = scoreCase(c, [
      { videoId: 'w', start: 90, end: 150, linkSecond: 100 },
      { videoId: 'v', start: 131, end: 190, linkSecond: 131 },
    ]);
    expect(s).toEqual({ hitAt1Moment: 0, hitAt5Moment: 0, hitAt5Video: 1, linkAt1: 0, recallAt10Video: 1 });
    expect(scoreCase(c, [{ videoId: 'v', start: 125, end: 190, linkSecond: 114 }])).toMatchObject({
      hitAt1Moment: 1,
      linkAt1: 1,
    });
  });
  it('leaves moment metrics out when no gold second is known', () => {
    const s = scoreCase({ ...c, gold: [{ videoId: 'v', t: null }] }, []);
    expect(s).toEqual({ hitAt5Video: 0, recallAt10Video: 0 });
    expect(meanScores([s, { hitAt5Video: 1, recallAt10Video: 1, linkAt1: 1 }])).toEqual({
      hitAt5Video: 0.5,
      recallAt10Video: 0.5,
      linkAt1: 1,
    });
  });
});

// LangChain is an optional install (rag-app/optional/langchain). CI installs it (scripts/setup.sh --ci),
// so there these tests always run and a missing install fails them; elsewhere they are skipped.
const installed = langchainInstalled();
if (!installed && !process.env.CI) {
  console.warn(
    `bench-quality: the LangChain baseline's tests skipped, LangChain is not installed (${LANGCHAIN_INSTALL})`,
  );
}

describe.skipIf(!installed && !process.env.CI)('the LangChain baseline and plain BM25', () => {
  let splitTranscripts: LangchainBaseline['splitTranscripts'];
  let langchainBm25: LangchainBaseline['langchainBm25'];
  beforeAll(async () => {
    ({ splitTranscripts, langchainBm25 } = await loadLangchainBaseline());
  });

  it('splits at 1000/200 characters and gives each chunk the span of the segments it holds', async () => {
    const chunks = await splitTranscripts([talk]);
    expect(chunks.length).toBeGreaterThan(1);
    for (const ch of chunks) {
      expect(ch.text.length).toBeLessThanOrEqual(1000);
      const first = talk.segments.find((s) => s.start === ch.start)!;
      expect(ch.text.startsWith(first.text)).toBe(true);
      const last = talk.segments.find((s) => s.end === ch.end)!;
      expect(ch.text.endsWith(last.text)).toBe(true);
    }
  });

  it('both rankers put the webhook chunk first; the link is its first second', async () => {
    const chunks = await splitTranscripts([talk]);
    const want = chunks.findIndex((ch) => ch.text.includes('webhook trigger'));
    const lc = await langchainBm25(chunks, 3)('set up a webhook trigger in n8n');
    expect(lc[0]).toEqual(toSpan(chunks[want]!));
    expect(new PlainBm25(chunks.map((ch) => ch.text)).search('webhook trigger n8n', 3)[0]!.doc).toBe(want);
    expect(lc[0]!.linkSecond).toBe(Math.floor(chunks[want]!.start));
  });
});

describe('goals from the side-by-side table', () => {
  const run = (system: SystemRun['system'], h1: number, h5: number): SystemRun => ({
    system,
    dataset: 'key-moments.dev',
    cases: 10,
    scores: { hitAt1Moment: h1, hitAt5Moment: h5, hitAt5Video: 1, linkAt1: 0.5, recallAt10Video: 1 },
    latency: { n: 10, mean: 1, p50: 1, p95: 2, p99: 2, max: 2 },
  });
  const figures: QualityFigures = {
    chunks: { langchain: 5, plainBm25: 5, ours: 6 },
    runs: [run('langchain', 0.5, 0.7), run('plainBm25', 0.6, 0.85), run('ours', 0.7, 0.9)],
  };
  it('reports each ratio and whether it meets the goal', () => {
    const goals = checkGoals(figures);
    expect(goals.map((g) => [g.measured, g.met])).toEqual([
      ['1.29×', false],
      ['1.17×', true],
    ]);
    expect(qualityReport(figures).join('\n')).toMatch(
      /hit@5 \(±30 s\)\s+0\.700\s+0\.850\s+0\.900\s+1\.29×\s+1\.06×/,
    );
  });
});

describe('resultsName (where a bench run is written)', () => {
  const day = new Date('2026-12-04T03:59:00Z');
  it("is the date for a full run, and the date with the sections run for a partial one, never the full run's name", () => {
    expect(resultsName(day, new Set(['scale', 'quality', 'speed']))).toBe('2026-12-04');
    expect(resultsName(day, new Set(['quality']))).toBe('2026-12-04-quality');
    expect(resultsName(day, new Set(['scale', 'quality']))).toBe('2026-12-04-quality-scale');
  });
});

import { describe, expect, it } from 'vitest';
import { evaluateGate, gateConfigSchema } from '../src/gate.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { renderGateText, renderRunText } from '../src/report/text.ts';
import { serializeSummary, summarize } from '../src/summarize.ts';
import type { CaseResult } from '../src/summary.ts';
import { summarySchema } from '../src/summary.ts';
import { flip, syntheticRun } from './helpers/synthetic.ts';

const config = gateConfigSchema.parse({
  metrics: { hitAt5Moment: { floor: 0.5, maxDrop: 0.02 }, refusalAccuracy: { maxDrop: 0.02 } },
  latency: { maxP95Ratio: 1.5 },
});
const baseResults = syntheticRun(200, 0.8);
const run = (r: CaseResult[], holdout = false) =>
  summarize(r, { dataset: ['dev.jsonl'], holdout, durationMs: 1234 });
const baseline = run(baseResults);
const lost = new Set(
  baseResults
    .filter((r) => r.call === 'search' && r.pass)
    .slice(0, 30)
    .map((r) => r.id),
);
const candidate = run(flip(baseResults, lost));
const gate = evaluateGate(baseline, candidate, config);

describe('Markdown report', () => {
  it('compares baseline and candidate with deltas, intervals, gate marks and the worst regressions', () => {
    const md = renderMarkdown({
      baseline,
      candidate,
      gate,
      labels: { baseline: 'main.json', candidate: 'pr.json' },
    });
    expect(md).toMatch(/^### Evals: ❌ gate failed\n/);
    expect(md).toContain('**Candidate:** `pr.json` — 240 cases from `dev.jsonl` in 1.2 s.');
    expect(md).toContain('| Metric | Baseline | Candidate | Δ | 95 % CI of Δ | Gate |');
    const row = md.split('\n').find((l) => l.startsWith('| `hitAt5Moment` |'))!;
    const b = baseline.metrics.hitAt5Moment!;
    const c = candidate.metrics.hitAt5Moment!;
    expect(row).toContain(`| ${b.toFixed(3)} | ${c.toFixed(3)} | −${(b - c).toFixed(3)} | [−`);
    expect(row.endsWith('| ❌ |')).toBe(true);
    expect(md).toMatch(/\| `refusalAccuracy` \| .* \| ±0\.000 \| .* \| ✅ \|/);
    expect(md).toContain('#### Cases that went from pass to fail (30; 0 went the other way)');
    expect(md).toContain('| `s0` | key-moment | query s0 |');
    expect(md).toMatch(/- `hitAt5Moment`: `s\d+` 1\.00→0\.00/);
    expect(md).toContain('| key-moment | 200 |');
    expect(md).not.toMatch(/NaN|undefined/);
  });

  it('a run without a baseline shows values and intervals', () => {
    const md = renderMarkdown({ candidate: baseline });
    expect(md).toMatch(/^### Evals: run\n/);
    expect(md).toContain('| Metric | Value | 95 % CI |');
    expect(md).toMatch(/\| `latencyP95Ms` \| \d+\.\d ms \| {2}\|/);
  });

  it('a sealed (holdout) report shows no case at all', () => {
    const sealedGate = evaluateGate(run(baseResults, true), run(flip(baseResults, lost), true), config);
    const md = renderMarkdown({
      baseline: run(baseResults, true),
      candidate: run(flip(baseResults, lost), true),
      gate: sealedGate,
    });
    expect(md).toContain('Holdout (sealed)');
    expect(md).not.toMatch(/query s\d|`s\d+`|pass to fail/);
    expect(md).toContain('normal interval from stored standard errors');
  });
});

describe('HTML report', () => {
  it('is one self-contained page with three kinds of chart', () => {
    const html = renderHtml({ baseline, candidate, gate });
    expect(html).toMatch(/^<!doctype html>/);
    for (const chart of ['metrics', 'by-kind', 'latency', 'latency-baseline'])
      expect(html).toContain(`data-chart="${chart}"`);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/);
    expect(html).toContain('Gate failed');
  });

  it('escapes text from datasets', () => {
    const evil = baseResults.map((r, i) => (i === 0 ? { ...r, query: '<img src=x onerror=alert(1)>' } : r));
    const [b, c] = [run(evil), run(flip(evil, new Set(['s0'])))];
    const html = renderHtml({ baseline: b, candidate: c, gate: evaluateGate(b, c, config) });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('terminal output and JSON', () => {
  it('prints the run and the gate verdict', () => {
    expect(renderRunText(baseline)).toMatch(
      /^240 cases \(key-moment 200, answerable 30, refusal 10\) in 1\.2 s\n/,
    );
    const text = renderGateText(gate);
    expect(text).toMatch(
      /^gate: FAIL \(mode superiority: a metric fails only when its CI upper bound < −margin\) — baseline 240 cases, candidate 240 cases; paired bootstrap over 240 cases, 2000 resamples, 95 % CI\n/,
    );
    expect(text).toMatch(/ {2}FAIL hitAt5Moment {10}/);
    expect(text).toContain('cases pass → fail: 30 (fail → pass: 0)');
  });

  it('serialises one case per line and reads back identically', () => {
    const text = serializeSummary(baseline);
    expect(text.split('\n').filter((l) => l.startsWith('    {"id":'))).toHaveLength(240);
    expect(summarySchema.parse(JSON.parse(text))).toEqual(baseline);
    const sealed = run(baseResults, true);
    expect(JSON.parse(serializeSummary(sealed))).not.toHaveProperty('results');
  });
});

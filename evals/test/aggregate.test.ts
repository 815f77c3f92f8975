import { percentile } from '@dark-factory/kit';
import { describe, expect, it } from 'vitest';
import { aggregate, latencyHistogram } from '../src/metrics/aggregate.ts';
import type { CaseResult } from '../src/summary.ts';

function ask(id: string, expectRefusal: boolean, refused: boolean, latencyMs: number): CaseResult {
  return {
    id,
    kind: expectRefusal ? 'refusal' : 'answerable',
    dataset: 'd.jsonl',
    query: id,
    call: 'ask',
    pass: expectRefusal === refused,
    scores: { refusalAccuracy: expectRefusal === refused ? 1 : 0 },
    expectRefusal,
    refused,
    latencyMs,
    retrieveMs: latencyMs / 2,
    answerMs: latencyMs / 2,
    usage: { inputTokens: 1000, outputTokens: 100, model: 'claude-sonnet-4-5' },
  };
}

function search(id: string, scores: Record<string, number>, latencyMs: number): CaseResult {
  return {
    id,
    kind: 'key-moment',
    dataset: 'd.jsonl',
    query: id,
    call: 'search',
    pass: true,
    scores,
    latencyMs,
    retrieveMs: latencyMs,
  };
}

describe('aggregate', () => {
  it('refusal accuracy, precision and recall with refusal as the positive class', () => {
    const m = aggregate([
      ask('tp', true, true, 10),
      ask('fn', true, false, 20),
      ask('fp', false, true, 30),
      ask('tn1', false, false, 40),
      ask('tn2', false, false, 100),
    ]);
    expect(m.refusalAccuracy).toBe(0.6);
    expect(m.refusalPrecision).toBe(0.5);
    expect(m.refusalRecall).toBe(0.5);
    expect(m.latencyP50Ms).toBe(30);
    expect(m.latencyP95Ms).toBe(88);
    expect(m.answerP50Ms).toBe(15);
    expect(m.inputTokens).toBe(5000);
    expect(m.outputTokens).toBe(500);
    // 5 × (1000 × $3 + 100 × $15) / 1e6
    expect(m.usd).toBeCloseTo(0.0225, 9);
  });

  it('omits metrics that do not apply instead of reporting 0 or NaN', () => {
    const m = aggregate([
      search('a', { hitAt1Video: 1, mrrVideo: 1 }, 5),
      search('b', { hitAt1Video: 0, mrrVideo: 0.5 }, 7),
    ]);
    expect(m.hitAt1Video).toBe(0.5);
    expect(m.mrrVideo).toBe(0.75);
    for (const key of [
      'refusalAccuracy',
      'refusalPrecision',
      'refusalRecall',
      'hitAt1Moment',
      'answerP50Ms',
      'usd',
      'factRecall',
    ]) {
      expect(m).not.toHaveProperty(key);
    }
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(aggregate([])).toEqual({});
  });

  it('precision is omitted when nothing was refused; recall is 0 when refusals were missed', () => {
    const m = aggregate([ask('fn', true, false, 1), ask('tn', false, false, 1)]);
    expect(m).not.toHaveProperty('refusalPrecision');
    expect(m.refusalRecall).toBe(0);
  });

  it('percentiles interpolate; the histogram counts every case', () => {
    expect(percentile([1], 0.95)).toBe(1);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    const results = [1, 2, 3, 50, 400, 401].map((l, i) => search(String(i), {}, l));
    const hist = latencyHistogram(results);
    expect(hist.counts.reduce((s, c) => s + c, 0)).toBe(6);
    expect(hist.edgesMs).toHaveLength(hist.counts.length + 1);
  });
});

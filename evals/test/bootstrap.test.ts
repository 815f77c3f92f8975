import { seededRandom } from '@dark-factory/kit';
import { describe, expect, it } from 'vitest';
import { bootstrapMetric, type Parts, pairedBootstrapDiff, ratio } from '../src/stats/bootstrap.ts';

const parts = (values: (number | null)[]): Parts => ({
  num: Float64Array.from(values.map((v) => v ?? 0)),
  den: Float64Array.from(values.map((v) => (v === null ? 0 : 1))),
});

describe('bootstrap', () => {
  it('the seeded generator is deterministic and uniform enough', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('ratio skips cases where the metric does not apply', () => {
    expect(ratio(parts([1, 0, null, 1]))).toBeCloseTo(2 / 3, 9);
    expect(ratio(parts([null, null]))).toBeUndefined();
  });

  it('the interval of a proportion matches its textbook standard error', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const iv = bootstrapMetric(parts(values), { resamples: 2000, seed: 1, confidence: 0.95 })!;
    expect(iv.estimate).toBe(0.5);
    // sqrt(0.5 × 0.5 / 400) = 0.025
    expect(iv.se).toBeGreaterThan(0.022);
    expect(iv.se).toBeLessThan(0.028);
    expect(iv.lo).toBeGreaterThan(0.44);
    expect(iv.hi).toBeLessThan(0.56);
    expect(bootstrapMetric(parts([null]))).toBeUndefined();
  });

  it('paired differences: identical runs give exactly 0, a shift is recovered, results are reproducible', () => {
    const base = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const same = pairedBootstrapDiff(parts(base), parts(base))!;
    expect([same.estimate, same.lo, same.hi]).toEqual([0, 0, 0]);
    const worse = base.map((v, i) => (i < 60 && v === 1 ? 0 : v));
    const opts = { resamples: 1000, seed: 3, confidence: 0.95 };
    const d = pairedBootstrapDiff(parts(base), parts(worse), opts)!;
    expect(d.estimate).toBeCloseTo(-40 / 300, 9);
    expect(d.hi).toBeLessThan(0);
    expect(d.lo).toBeLessThan(d.estimate);
    expect(pairedBootstrapDiff(parts(base), parts(worse), opts)).toEqual(d);
    expect(() => pairedBootstrapDiff(parts([1]), parts([1, 0]))).toThrow(/aligned/);
  });
});

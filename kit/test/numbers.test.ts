import { describe, expect, it } from 'vitest';
import { percentile, percentileOfSorted, seededRandom, shuffled } from '../src/index.ts';

describe('percentile (linear interpolation, numpy default)', () => {
  it('interpolates between the nearest ranks', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([3, 1, 2], 0.25)).toBe(1.5);
    const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(percentile(oneToTen, 0.95)).toBeCloseTo(9.55, 12);
    expect(percentile(oneToTen, 0)).toBe(1);
    expect(percentile(oneToTen, 1)).toBe(10);
    expect(percentile([7], 0.95)).toBe(7);
  });

  it('sorts a copy of its input and leaves the input alone', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 0.5)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
    // The sorted variant trusts its input to be ascending.
    expect(percentileOfSorted([1, 2, 3, 4, 5], 0.75)).toBe(4);
  });

  it('is NaN for no values and refuses q outside [0, 1] (a 95 meant as 0.95)', () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(() => percentile([1, 2], 95)).toThrow(RangeError);
    expect(() => percentile([1, 2], -0.1)).toThrow(/q must be in \[0, 1\]/);
    expect(() => percentile([1, 2], Number.NaN)).toThrow(RangeError);
  });
});

describe('seededRandom (mulberry32)', () => {
  it('gives the published mulberry32 sequence, the same for the same seed', () => {
    const a = seededRandom(0);
    expect([a(), a()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
    const b = seededRandom(42);
    const c = seededRandom(42);
    const first = [b(), b(), b()];
    expect(first).toEqual([c(), c(), c()]);
    expect(first).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('stays in [0, 1) and differs between seeds', () => {
    const r = seededRandom(7);
    const draws = Array.from({ length: 10_000 }, r);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });
});

describe('shuffled', () => {
  it('returns a permutation, the same for the same seed, and keeps the input', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const once = shuffled(items, seededRandom(3));
    expect(once).not.toEqual(items);
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled(items, seededRandom(3))).toEqual(once);
    expect(shuffled(items, seededRandom(4))).not.toEqual(once);
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(shuffled([], seededRandom(1))).toEqual([]);
  });
});

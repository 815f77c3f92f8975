import { describe, expect, it } from 'vitest';
import type { Gold } from '../src/dataset.ts';
import { coversMoment, type HitSpan, ndcgAt10, retrievalScores } from '../src/metrics/retrieval.ts';

const h = (videoId: string, start: number, end: number, citeStart = start): HitSpan => ({
  videoId,
  start,
  end,
  citeStart,
});
const g = (videoId: string, t: number | null): Gold => ({ videoId, t });

describe('retrieval metrics on hand-computed cases', () => {
  it('key-moment: video hit at 2, moment hit at 3', () => {
    const s = retrievalScores(
      [g('A', 100)],
      [h('B', 90, 120, 95), h('A', 200, 230), h('A', 120, 150, 125), h('C', 0, 30)],
    );
    expect(s).toEqual({
      hitAt1Video: 0,
      hitAt5Video: 1,
      hitAt10Video: 1,
      mrrVideo: 0.5,
      recallAt10Video: 1,
      ndcgAt10: expect.closeTo((1 / Math.log2(3) + 1 / Math.log2(4)) / 2, 9),
      hitAt1Moment: 0,
      hitAt5Moment: 1,
      hitAt10Moment: 1,
      mrrMoment: expect.closeTo(1 / 3, 9),
      linkAt1: 0,
      // The top hit is from another video: no credit however close its second.
      linkProximityAt1: 0,
    });
    expect(s.ndcgAt10).toBeCloseTo(0.565465, 5);
  });

  it('concept: several videos, one without a known second', () => {
    const gold = [g('A', 0), g('A', 276), g('B', 0), g('C', null)];
    const s = retrievalScores(gold, [h('A', 0, 30, 3), h('D', 0, 30), h('B', 400, 430), h('A', 250, 280)]);
    expect(s.recallAt10Video).toBeCloseTo(2 / 3, 9);
    expect(s.hitAt1Moment).toBe(1);
    expect(s.mrrMoment).toBe(1);
    expect(s.linkAt1).toBe(1);
    // Top link at 3 s, nearest gold second 0: 1 − 3/60.
    expect(s.linkProximityAt1).toBeCloseTo(0.95, 9);
    // gains [2, 0, 1, 1] against the ideal [2, 2, 1, 1]
    const dcg = 2 + 1 / Math.log2(4) + 1 / Math.log2(5);
    const idcg = 2 + 2 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5);
    expect(s.ndcgAt10).toBeCloseTo(dcg / idcg, 9);
    expect(s.ndcgAt10).toBeCloseTo(0.699025, 5);
  });

  it('linkProximityAt1 grades the distance where linkAt1 only says within ±15 s', () => {
    const at = (citeStart: number) =>
      retrievalScores([g('A', 100), g('A', 300)], [h('A', 60, 120, citeStart)]);
    expect(at(100).linkProximityAt1).toBe(1);
    expect([at(110).linkAt1, at(110).linkProximityAt1]).toEqual([1, expect.closeTo(50 / 60, 9)]);
    expect([at(130).linkAt1, at(130).linkProximityAt1]).toEqual([0, 0.5]);
    expect(at(200).linkProximityAt1).toBe(0);
    expect(at(280).linkProximityAt1).toBeCloseTo(40 / 60, 9);
  });

  it('gold without seconds: video metrics only, moment metrics and linkAt1 omitted', () => {
    const s = retrievalScores([g('A', null)], [h('B', 0, 10), h('A', 0, 10)]);
    expect(Object.keys(s).sort()).toEqual([
      'hitAt10Video',
      'hitAt1Video',
      'hitAt5Video',
      'mrrVideo',
      'ndcgAt10',
      'recallAt10Video',
    ]);
    expect(s.mrrVideo).toBe(0.5);
    expect(s.ndcgAt10).toBeCloseTo(1 / Math.log2(3), 9);
  });

  it('an empty result is a miss, never NaN', () => {
    const s = retrievalScores([g('A', 100), g('B', null)], []);
    for (const v of Object.values(s)) expect(v).toBe(0);
    expect(Object.keys(s)).toContain('hitAt1Moment');
  });

  it('only the top 10 count', () => {
    const hits = [...Array.from({ length: 10 }, (_, i) => h(`X${i}`, 0, 10)), h('A', 90, 110)];
    const s = retrievalScores([g('A', 100)], hits);
    expect(s.hitAt10Video).toBe(0);
    expect(s.mrrMoment).toBe(0);
  });

  it('moment overlap uses ±30 s and deep links ±15 s', () => {
    expect(coversMoment(h('A', 130, 160), { videoId: 'A', t: 100 })).toBe(true);
    expect(coversMoment(h('A', 131, 160), { videoId: 'A', t: 100 })).toBe(false);
    expect(coversMoment(h('A', 40, 70), { videoId: 'A', t: 100 })).toBe(true);
    expect(coversMoment(h('A', 40, 69), { videoId: 'A', t: 100 })).toBe(false);
    expect(coversMoment(h('B', 90, 110), { videoId: 'A', t: 100 })).toBe(false);
    expect(retrievalScores([g('A', 100)], [h('A', 80, 140, 115)]).linkAt1).toBe(1);
    expect(retrievalScores([g('A', 100)], [h('A', 80, 140, 116)]).linkAt1).toBe(0);
    expect(retrievalScores([g('A', 100)], [h('A', 80, 140, 84)]).linkAt1).toBe(0);
  });

  it('nDCG stays within [0, 1] even when a video hit precedes its moment hit', () => {
    expect(ndcgAt10([g('A', 100)], [h('A', 300, 330), h('A', 90, 120)])).toBeLessThanOrEqual(1);
    expect(ndcgAt10([g('A', 100)], [h('A', 90, 120)])).toBe(1);
    // the same moment covered twice is credited once
    expect(ndcgAt10([g('A', 100)], [h('A', 90, 120), h('A', 95, 125)])).toBe(1);
    expect(ndcgAt10([g('A', 100), g('A', 400)], [h('A', 90, 120), h('A', 390, 420)])).toBe(1);
  });
});

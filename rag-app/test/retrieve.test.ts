import { describe, expect, it } from 'vitest';
import { filterClause } from '../src/retrieve/filters.ts';
import { localize } from '../src/retrieve/localize.ts';
import { reciprocalRankFusion } from '../src/retrieve/rrf.ts';
import { terms } from '../src/text/tokenize.ts';

describe('reciprocalRankFusion', () => {
  it('sums weight / (k + rank) over lists', () => {
    const fused = reciprocalRankFusion(
      [
        { ids: [1, 2, 3], weight: 1 },
        { ids: [3, 1], weight: 1 },
      ],
      60,
    );
    expect(fused.map((f) => f.id)).toEqual([1, 3, 2]);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
  });

  it('a zero-weight list changes nothing and empty input gives nothing', () => {
    const fused = reciprocalRankFusion([
      { ids: [5, 6], weight: 1 },
      { ids: [6, 7], weight: 0 },
    ]);
    expect(fused.filter((f) => f.score > 0).map((f) => f.id)).toEqual([5, 6]);
    expect(reciprocalRankFusion([])).toEqual([]);
  });
});

describe('localize (search wide, cite narrow)', () => {
  const segments = [
    { start: 100, end: 115, text: 'welcome back to the channel everyone' },
    { start: 115, end: 130, text: 'today we look at supabase and postgres' },
    { start: 130, end: 145, text: 'the piv loop means plan implement validate' },
    { start: 145, end: 160, text: 'and that is it for the piv loop' },
  ];

  it('cites the segment where the matching passage starts, not the chunk start', () => {
    expect(localize('what is the PIV loop: plan, implement, validate?', segments)).toEqual({
      index: 2,
      start: 130,
    });
    expect(localize('supabase postgres', segments).start).toBe(115);
  });

  it('falls back to the first segment when nothing matches', () => {
    expect(localize('kubernetes helm charts', segments).start).toBe(100);
  });

  it('weighs rare terms above common ones', () => {
    const idf = (t: string) => (t === terms('supabase')[0] ? 5 : 1);
    expect(localize('supabase loop', segments, idf).start).toBe(115);
  });
});

describe('filterClause', () => {
  it('numbers parameters after the offset and rejects bad dates', () => {
    expect(filterClause({ videoId: 'abc', publishedAfter: '2025-01-01' }, 2)).toEqual({
      sql: 'c.video_id = $3 AND v.published >= $4::date',
      params: ['abc', '2025-01-01'],
    });
    expect(() => filterClause({ publishedBefore: 'yesterday' }, 0)).toThrow(/publishedBefore must be a date/);
  });
});

describe('terms', () => {
  it('lower-cases, drops stopwords and filler, stems, keeps product names with digits', () => {
    expect(terms("Um, so we're BUILDING agents with n8n and Pydantic AI")).toEqual([
      'build',
      'agent',
      'n8n',
      'pydant',
      'ai',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { filterClause } from '../src/retrieve/filters.ts';
import { localize } from '../src/retrieve/localize.ts';
import { momentStarts, type Window } from '../src/retrieve/moment-start.ts';
import { PROXIMITY, proximityBonus, queryPairs, withProximity } from '../src/retrieve/proximity.ts';
import { checkQuery, MAX_QUERY_CHARS } from '../src/retrieve/query.ts';
import { reciprocalRankFusion } from '../src/retrieve/rrf.ts';
import { shapesFor, type TermStatsSource, termStatsFor } from '../src/retrieve/term-stats.ts';
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

describe('momentStarts (a hit shows the window where its match began)', () => {
  const w = (id: number, videoId: string, start: number, lexical: number | null): Window => ({
    id,
    videoId,
    start,
    end: start + 60,
    lexical,
  });

  it('moves a hit to the overlapping window before it when that one scores at least the ratio', () => {
    const windows = [
      w(1, 'a', 60, 10),
      w(2, 'a', 30, 8.5),
      w(3, 'a', 0, 8.4),
      w(4, 'b', 30, 9),
      w(5, 'b', 0, 7),
    ];
    // 2 is 1's predecessor (starts latest before it and overlaps it); 3 is 2's. One step only.
    expect(momentStarts(windows, 0.8)).toEqual(
      new Map([
        [1, 2],
        [2, 3],
      ]),
    );
    expect(momentStarts(windows, 0.75)).toEqual(
      new Map([
        [1, 2],
        [2, 3],
        [4, 5],
      ]),
    );
    expect(momentStarts(windows, 0)).toEqual(new Map());
  });

  it('never moves to a window that does not overlap, of another video, or without a BM25 score', () => {
    expect(momentStarts([w(1, 'a', 100, 10), w(2, 'a', 30, 10)], 0.5)).toEqual(new Map());
    expect(momentStarts([w(1, 'a', 60, 10), w(2, 'b', 30, 10)], 0.5)).toEqual(new Map());
    expect(momentStarts([w(1, 'a', 60, 10), w(2, 'a', 30, null)], 0.5)).toEqual(new Map());
    expect(momentStarts([w(1, 'a', 60, null), w(2, 'a', 30, 10)], 0.5)).toEqual(new Map());
  });
});

describe('checkQuery', () => {
  it('rejects an empty or too long question and a k out of range, with the reason', () => {
    expect(() => checkQuery('  ', {})).toThrow('the question is empty');
    expect(() => checkQuery('x'.repeat(MAX_QUERY_CHARS + 1), {})).toThrow(/too long \(2001 characters/);
    expect(() => checkQuery('webhooks', { k: 0 })).toThrow('k must be an integer from 1 to 50, got 0');
    expect(() => checkQuery('webhooks', { k: 2.5 })).toThrow(/got 2.5/);
    expect(() => checkQuery('webhooks', { k: 50 })).not.toThrow();
  });
});

describe("termStatsFor (one question's corpus statistics)", () => {
  const vocabulary = new Map([
    ['supabas', 40],
    ['superbas', 90],
    ['postgr', 2],
    ['postgress', 99],
    ['fast', 30],
    ['api', 50],
    ['n8n', 200],
    ['webhook', 25],
  ]);
  const asked: string[][] = [];
  const source: TermStatsSource = {
    size: 1000,
    dfs: async (ts) => {
      asked.push([...ts]);
      return new Map(ts.flatMap((t) => (vocabulary.has(t) ? [[t, vocabulary.get(t)!] as const] : [])));
    },
    shaped: async (shapes) =>
      new Map(
        [...vocabulary].filter(([t]) =>
          shapes.some((s) => t[0] === s.first && t.length >= s.minLength && t.length <= s.maxLength),
        ),
      ),
  };

  it('holds the terms, their spelling neighbours and the parts a compound splits into', async () => {
    const stats = await termStatsFor(source, [
      { term: 'postgr', surface: 'Postgres' },
      { term: 'fastapi', surface: 'FastAPI' },
    ]);
    expect(stats.size).toBe(1000);
    expect(stats.df('postgr')).toBe(2);
    // "postgress" is within one edit of the word as asked: the commoner-spelling check compares it.
    expect(stats.df('postgress')).toBe(99);
    expect(stats.df('fastapi')).toBe(0);
    // Respelling splits "fastapi": its parts were fetched although no shape covers "api".
    expect(stats.df('api')).toBe(50);
    expect([...stats.terms()]).toEqual([...stats.terms()].sort());
    expect(asked.flat()).toContain('api');
    // A term outside what was fetched is a caller's mistake, not an absent term.
    expect(() => stats.df('webhook')).toThrow(/not fetched/);
  });

  it('covers the lengths spelling checks reach, from the term and from the word as asked', () => {
    expect(shapesFor([{ term: 'postgr', surface: 'Postgres' }])).toEqual([
      { first: 'p', minLength: 4, maxLength: 9 },
    ]);
  });
});

describe('proximity (query words said side by side)', () => {
  const idf = (t: string) => ({ context: 2, rot: 4, window: 1 })[t] ?? 0.5;

  it('pairs query terms at most gap places apart, in order, never a term with itself', () => {
    expect([...queryPairs(['context', 'rot', 'avoid'], 1)]).toEqual(['context rot', 'rot avoid']);
    expect([...queryPairs(['context', 'rot', 'avoid'], 2)]).toEqual([
      'context rot',
      'context avoid',
      'rot avoid',
    ]);
    expect(queryPairs(['rot', 'rot'], 2).size).toBe(0);
  });

  it("adds the rarer term's idf for a pair said in order within reach, once per pair", () => {
    const pairs = queryPairs(terms('what is context rot'), PROXIMITY.gap);
    const together = proximityBonus(pairs, 'this is context rot, and context rot again', idf);
    expect(together).toBeCloseTo(PROXIMITY.weight * 2, 12);
    // Index terms between them within reach still count (stopwords are not terms).
    expect(proximityBonus(pairs, 'the context window starts to rot', idf)).toBeCloseTo(
      PROXIMITY.weight * 2,
      12,
    );
    // Apart, or in the other order, they are two words that happen to share a chunk.
    expect(
      proximityBonus(pairs, 'context is big, and much later in the talk the old code starts to rot', idf),
    ).toBe(0);
    expect(proximityBonus(pairs, 'rot context', idf)).toBe(0);
    expect(proximityBonus(pairs, 'context rot', idf, { weight: 0, gap: 2 })).toBe(0);
  });

  it('reorders lexical hits by BM25 plus the bonus, ties by id, unknown texts untouched', () => {
    const hits = [
      { id: 1, score: 10 },
      { id: 2, score: 9.5 },
      { id: 3, score: 9 },
    ];
    const texts: Record<number, string> = {
      1: 'context matters and much later the code can rot',
      2: 'this is what we call context rot',
    };
    const out = withProximity(hits, 'what is context rot', (id) => texts[id], idf);
    expect(out.map((h) => h.id)).toEqual([2, 1, 3]);
    expect(out[0]!.score).toBeCloseTo(9.5 + PROXIMITY.weight * 2, 12);
    expect(out[2]).toEqual({ id: 3, score: 9 });
    expect(withProximity(hits, 'context', (id) => texts[id], idf)).toEqual(hits);
  });
});

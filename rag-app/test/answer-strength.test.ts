import { describe, expect, it } from 'vitest';
import { type EvidenceSources, gatherEvidence, videosByStrength } from '../src/answer/evidence.ts';
import { ExtractiveAnswerer, passagesOf } from '../src/answer/extractive.ts';
import { hitStrengths, NEAR_TIE, softRanks } from '../src/answer/strength.ts';
import type { TermStats } from '../src/answer/support.ts';
import type { SearchHit } from '../src/types.ts';
import { makeHit } from './answer-fixtures.ts';

/** The hits as another order of near-ties would give them: reversed, fused scores re-ranked. */
function reordered(hits: readonly SearchHit[]): SearchHit[] {
  return [...hits].reverse().map((h, i) => ({ ...h, score: 1 / (61 + i) }));
}

describe('hit strengths', () => {
  it('are each side’s score over its best, the better side counting; unscored hits 0', () => {
    const a = makeHit('vid00000001', 'A', [[0, 'a']], { lexical: 10 });
    const b = makeHit('vid00000002', 'B', [[0, 'b']], { lexical: 5 });
    const vectorOnly = { ...b, scores: { ...b.scores, lexical: null, vector: 0.5 } };
    const opening = {
      ...a,
      score: 0,
      scores: { lexicalRank: null, lexical: null, vectorRank: null, vector: null },
    };
    expect(hitStrengths([a, b, vectorOnly, opening])).toEqual([1, 1, 1, 0]);
    const weakVector = { ...a, scores: { ...a.scores, vector: 0.25 } };
    expect(hitStrengths([weakVector, b])).toEqual([1, 1]);
    expect(
      hitStrengths([
        { ...a, scores: { ...a.scores, vector: null } },
        { ...b, scores: { ...b.scores, vector: null } },
      ]),
    ).toEqual([1, 0.5]);
  });

  it('fall back to the fused score when no hit has a side’s score', () => {
    const none = { lexicalRank: null, lexical: null, vectorRank: null, vector: null };
    const hits = [0.02, 0.01].map((score) => ({
      ...makeHit('vid00000001', 'A', [[0, 'a']]),
      score,
      scores: none,
    }));
    expect(hitStrengths(hits)).toEqual([1, 0.5]);
  });
});

describe('soft ranks', () => {
  it('are ordinary ranks for values far apart and ½ each for a tie', () => {
    expect(softRanks([1, 0.5, 0.2])).toEqual([0, 1, 2]);
    expect(softRanks([1, 1, 0.2])).toEqual([0.5, 0.5, 2]);
  });

  it('move a little, not a whole rank, when a near-tie flips', () => {
    const [a, b] = softRanks([1, 1 - NEAR_TIE / 5]);
    const [c, d] = softRanks([1 - NEAR_TIE / 5, 1]);
    expect(b! - a!).toBeCloseTo(0.2, 10);
    expect(d).toBeCloseTo(a!, 10);
    expect(c).toBeCloseTo(b!, 10);
  });
});

describe('near-tied hits in another order', () => {
  const question = 'what are the three stages of the piv loop?';
  // The same words said in two videos (a course cut from a stream, say), found 0.3 % apart: which
  // of them leads is decided by the scores, not by which the search happened to list first.
  const said = (videoId: string, lexical: number, rank: number) =>
    makeHit(
      videoId,
      'How I Build With AI Coding Assistants',
      [
        [120, 'so the piv loop is how i work with coding agents and it has three stages'],
        [134, 'you plan the work then you implement it and then you validate everything'],
      ],
      { rank, lexical },
    );
  const hits = [
    said('piv1234567a', 3, 1),
    said('piv1234567b', 2.99, 2),
    makeHit(
      'other000001',
      'Context Engineering Is the New Vibe Coding',
      [[600, 'and the plan you write in the piv loop is a big part of the context you give']],
      { rank: 3, lexical: 2 },
    ),
  ];

  it('rank their passages alike whatever order they came in', () => {
    const rank = (hs: SearchHit[]) =>
      Object.fromEntries(passagesOf(hs).map((p) => [`${p.videoId}@${p.segments[0]!.start}`, p.rank]));
    expect(rank(reordered(hits))).toEqual(rank(hits));
  });

  it('give the same answer, cited at the same moments', async () => {
    const answerer = new ExtractiveAnswerer();
    const answer = async (hs: SearchHit[]) => {
      const out = await answerer.answer(question, hs);
      return { answer: out.answer, citations: out.citations.map((c) => `${c.videoId}@${c.start}`) };
    };
    const first = await answer(hits);
    expect(first.citations[0]).toBe('piv1234567a@120');
    expect(await answer(reordered(hits))).toEqual(first);
  });
});

describe('the video read further', () => {
  const STATS: TermStats = { size: 5000, df: () => 50, terms: () => [] };
  const sources = (calls: string[]): EvidenceSources => ({
    searchVideo: async (videoId, k) => {
      calls.push(`search ${videoId} ${k}`);
      return [];
    },
    titles: async () => [],
    opening: async () => null,
  });

  it('is the one with the most strongly found moments, not the first hit’s', () => {
    const single = makeHit('single00001', 'S', [[0, 'one strong moment']], { lexical: 3 });
    const several = [60, 300].map((t) =>
      makeHit('several0001', 'V', [[t, 'a strong moment']], { lexical: 2.9 }),
    );
    expect(videosByStrength([single, ...several])).toEqual(['several0001', 'single00001']);
  });

  it('does not change when two near-tied hits swap', async () => {
    const a = makeHit('videoaaaaaa', 'A', [[0, 'the piv loop']], { lexical: 3 });
    const b = makeHit('videobbbbbb', 'B', [[0, 'the piv loop']], { lexical: 2.99 });
    const callsAb: string[] = [];
    const callsBa: string[] = [];
    await gatherEvidence('What is the PIV loop?', [a, b], sources(callsAb), STATS);
    await gatherEvidence('What is the PIV loop?', reordered([a, b]), sources(callsBa), STATS);
    expect(callsAb).toEqual(['search videoaaaaaa 3']);
    expect(callsBa).toEqual(callsAb);
  });
});

import { describe, expect, it } from 'vitest';
import {
  answerScores,
  citationMomentAccuracy,
  citationSupport,
  factPresent,
  factRecall,
  normaliseTokens,
  stem,
} from '../src/metrics/answer.ts';

describe('answer text normalisation', () => {
  it('lower-cases, strips punctuation and stems plurals', () => {
    expect(normaliseTokens('Plan, Implement & Validate!')).toEqual(['plan', 'implement', 'validate']);
    expect(normaliseTokens('Git-worktrees (PRDs)')).toEqual(['git', 'worktree', 'prd']);
    expect(
      ['databases', 'processes', 'strategies', 'agents', 'class', 'status', 'analysis', 'box', 'boxes'].map(
        stem,
      ),
    ).toEqual(['database', 'process', 'strategy', 'agent', 'class', 'status', 'analysis', 'box', 'box']);
  });

  it('matches whole-word phrases and | alternatives', () => {
    const t = normaliseTokens('He runs several Git worktrees, one per agent; see the PRD.');
    expect(factPresent('git worktree', t)).toBe(true);
    expect(factPresent('worktrees', t)).toBe(true);
    expect(factPresent('product requirements document|PRD', t)).toBe(true);
    expect(factPresent('work', t)).toBe(false);
    expect(factPresent('agent teams', t)).toBe(false);
  });
});

describe('answer metrics on hand-computed cases', () => {
  it('factRecall counts facts present; a refusal finds none', () => {
    expect(factRecall(['plan', 'implement', 'validate'], 'You plan, then you implement.', false)).toBeCloseTo(
      2 / 3,
      9,
    );
    expect(factRecall(['plan', 'implement'], 'The implementation plan', false)).toBe(0.5);
    expect(factRecall(['plan'], 'plan', true)).toBe(0);
  });

  it('citationMomentAccuracy: share of citations on a gold moment (±30 s) or a whole gold video', () => {
    const gold = [
      { videoId: 'A', t: 100 },
      { videoId: 'B', t: null },
    ];
    const cites = [
      { videoId: 'A', start: 60, end: 80 },
      { videoId: 'A', start: 200, end: 230 },
      { videoId: 'B', start: 500, end: 530 },
      { videoId: 'C', start: 100, end: 110 },
    ];
    expect(citationMomentAccuracy(gold, cites)).toBe(0.5);
    expect(citationMomentAccuracy(gold, [])).toBe(0);
  });

  it('citationSupport: share of citations on a key moment or any moment the exhaustive reading lists', () => {
    const gold = [{ videoId: 'A', t: 100 }];
    const support = [
      { videoId: 'A', t: 230 },
      { videoId: 'C', t: 400 },
    ];
    const cites = [
      { videoId: 'A', start: 60, end: 80 }, // key moment 100 (within 30 s)
      { videoId: 'A', start: 250, end: 262 }, // supporting moment 230
      { videoId: 'C', start: 100, end: 110 }, // C is listed, but at 400
      { videoId: 'D', start: 0, end: 10 },
    ];
    expect(citationSupport(gold, support, cites)).toBe(0.5);
    expect(citationMomentAccuracy(gold, cites)).toBe(0.25);
    expect(citationSupport(gold, support, [])).toBe(0);
    const scored = answerScores({ gold, support }, false, { answer: 'x', refused: false, citations: cites });
    expect(scored.citationSupport).toBe(0.5);
    // A refusal case is not judged on citations, and a case without a reading has no figure.
    expect(answerScores({ gold, support }, true, { answer: 'x', refused: true, citations: [] })).toEqual({
      refusalAccuracy: 1,
    });
    expect(
      answerScores({ gold }, false, { answer: 'x', refused: false, citations: cites }),
    ).not.toHaveProperty('citationSupport');
  });

  it('answerScores: refusal verdict, and answer metrics only where they apply', () => {
    const answered = {
      answer: 'plan and validate',
      refused: false,
      citations: [{ videoId: 'A', start: 90, end: 120 }],
    };
    const refused = { answer: "I don't know", refused: true, citations: [] };
    const c = { gold: [{ videoId: 'A', t: 100 }], facts: ['plan', 'implement'] };
    expect(answerScores(c, false, answered)).toEqual({
      refusalAccuracy: 1,
      citationMomentAccuracy: 1,
      factRecall: 0.5,
    });
    expect(answerScores(c, false, refused)).toEqual({
      refusalAccuracy: 0,
      citationMomentAccuracy: 0,
      factRecall: 0,
    });
    expect(answerScores({}, true, refused)).toEqual({ refusalAccuracy: 1 });
    expect(answerScores({}, true, answered)).toEqual({ refusalAccuracy: 0 });
  });
});

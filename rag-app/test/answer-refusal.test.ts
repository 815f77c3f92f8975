import { describe, expect, it } from 'vitest';
import {
  bestThreshold,
  evidenceFeatures,
  evidenceStrength,
  lexicalStrength,
  REFUSAL_THRESHOLD,
  STRENGTH_BLEND,
  shouldRefuse,
  thresholdSweep,
} from '../src/answer/refusal.ts';
import { contentTerms, idfWeights, questionTerms } from '../src/answer/terms.ts';
import { stem, words } from '../src/text/tokenize.ts';
import type { SearchHit } from '../src/types.ts';
import { makeHit, pivHits } from './answer-fixtures.ts';

const withVector = (hits: SearchHit[], vector: number | null) =>
  hits.map((h) => ({ ...h, scores: { ...h.scores, vector, vectorRank: vector === null ? null : 1 } }));

describe('terms', () => {
  it('stems inflections onto one stem', () => {
    expect(stem('agents')).toBe(stem('agent'));
    expect(stem('coding')).toBe(stem('code'));
    expect(stem('embeddings')).toBe(stem('embedded'));
    expect(stem('worktrees')).toBe(stem('worktree'));
    expect(stem('planning')).toBe(stem('plans'));
    expect(stem('memories')).toBe(stem('memory'));
    expect(stem('thing')).toBe('thing');
  });

  it('keeps version numbers whole and splits glued sentences', () => {
    expect(words("Cole's take on GPT-5.3, opus 4.5. the end.next")).toEqual([
      'cole',
      'take',
      'on',
      'gpt',
      '5.3',
      'opus',
      '4.5',
      'the',
      'end',
      'next',
    ]);
  });

  it('drops stopwords, fillers and the words that only frame a question about the channel', () => {
    expect(contentTerms('um so the agents are really like basically coding')).toEqual(['agent', 'code']);
    expect(questionTerms('What did Cole say about building agents in Rust?')).toEqual([
      'build',
      'agent',
      'rust',
    ]);
  });

  it('weights a term by how few documents hold it', () => {
    const docs = [new Set(['a', 'b']), new Set(['a']), new Set(['a', 'c'])];
    const w = idfWeights(['a', 'b', 'z'], docs);
    expect(w.get('z')!).toBeGreaterThan(w.get('b')!);
    expect(w.get('b')!).toBeGreaterThan(w.get('a')!);
    expect(w.get('a')!).toBeGreaterThan(0);
  });
});

describe('evidenceStrength', () => {
  const hits = withVector(pivHits(), null);

  it('is high when the passages hold the question terms, low when the key term is missing', () => {
    const covered = evidenceStrength('What are the three stages of the PIV loop?', hits);
    const missing = evidenceStrength('What are the three stages of the COBOL loop?', hits);
    expect(covered).toBe(1);
    expect(missing).toBeLessThan(0.7);
    expect(shouldRefuse(covered)).toBe(false);
    expect(shouldRefuse(evidenceStrength('How do I deploy COBOL on Kubernetes?', hits))).toBe(true);
  });

  it('lists the missing terms and weights them above terms every hit holds', () => {
    const f = evidenceFeatures('How does the piv loop handle kubernetes?', hits);
    expect(f.terms).toEqual(['piv', 'loop', 'handl', 'kubernet']);
    expect(f.missing).toEqual(['handl', 'kubernet']);
    // piv and loop are in every hit, so they weigh least: less than half of the weight is covered.
    expect(f.coverage).toBeLessThan(0.5);
    expect(f.vectorMax).toBeNull();
  });

  it('rewards terms found together in one passage over terms spread across passages', () => {
    const together = [
      makeHit('aaaaaaaaaaa', 'A', [[0, 'git worktrees let parallel agents work']]),
      makeHit('bbbbbbbbbbb', 'B', [[0, 'something else entirely']]),
    ];
    const spread = [
      makeHit('aaaaaaaaaaa', 'A', [[0, 'git worktrees are handy']]),
      makeHit('bbbbbbbbbbb', 'B', [[0, 'parallel agents are handy']]),
    ];
    const q = 'git worktrees for parallel agents';
    const a = evidenceFeatures(q, withVector(together, null));
    const b = evidenceFeatures(q, withVector(spread, null));
    expect(a.coverage).toBe(1);
    expect(b.coverage).toBe(1);
    expect(lexicalStrength(a)).toBeGreaterThan(lexicalStrength(b));
  });

  it('blends in the best vector similarity when retrieval reports one', () => {
    const q = 'What are the three stages of the COBOL loop?';
    const lexical = evidenceStrength(q, withVector(pivHits(), null));
    const { vectorWeight, vectorFloor, vectorCeiling } = STRENGTH_BLEND;
    expect(evidenceStrength(q, withVector(pivHits(), vectorCeiling))).toBeCloseTo(
      (1 - vectorWeight) * lexical + vectorWeight,
    );
    expect(evidenceStrength(q, withVector(pivHits(), vectorFloor - 0.1))).toBeCloseTo(
      (1 - vectorWeight) * lexical,
    );
    expect(evidenceStrength(q, withVector(pivHits(), 0.9))).toBeGreaterThan(
      evidenceStrength(q, withVector(pivHits(), 0.4)),
    );
  });

  it('is 0 with no hits, or a question with no content terms', () => {
    expect(evidenceStrength('What are the three stages of the PIV loop?', [])).toBe(0);
    expect(evidenceStrength('What did Cole say about it?', hits)).toBe(0);
  });

  it('refuses below the threshold only', () => {
    expect(shouldRefuse(REFUSAL_THRESHOLD)).toBe(false);
    expect(shouldRefuse(REFUSAL_THRESHOLD - 0.001)).toBe(true);
    expect(shouldRefuse(0.5, 0.6)).toBe(true);
    expect(shouldRefuse(Number.NaN)).toBe(true);
  });
});

describe('threshold measurement', () => {
  const cases = [
    { answerable: true, strength: 0.9 },
    { answerable: true, strength: 0.6 },
    { answerable: true, strength: 0.3 },
    { answerable: false, strength: 0.2 },
    { answerable: false, strength: 0.5 },
  ];

  it('scores each candidate threshold', () => {
    const sweep = thresholdSweep(cases, [0.1, 0.25, 0.4, 0.7]);
    expect(sweep.map((s) => s.accuracy)).toEqual([0.6, 0.8, 0.6, 0.6]);
    expect(sweep[1]).toEqual({ threshold: 0.25, accuracy: 0.8, answeredRate: 1, refusedRate: 0.5 });
    expect(sweep[3]).toMatchObject({ answeredRate: 1 / 3, refusedRate: 1 });
  });

  it('picks the middle of the best plateau', () => {
    const sweep = thresholdSweep(cases, [0.1, 0.21, 0.23, 0.25, 0.27, 0.29, 0.4]);
    expect(bestThreshold(sweep)?.threshold).toBe(0.25);
    expect(bestThreshold([])).toBeNull();
  });
});

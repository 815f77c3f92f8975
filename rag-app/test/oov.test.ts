import { describe, expect, it } from 'vitest';
import { editDistance, OOV_WEIGHT, respell, type Vocabulary } from '../src/retrieve/oov.ts';

function vocab(df: Record<string, number>): Vocabulary {
  return { df: (t) => df[t] ?? 0, terms: () => Object.keys(df) };
}

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and transpositions, capped past the limit', () => {
    expect(editDistance('olama', 'ollama', 2)).toBe(1);
    expect(editDistance('supabas', 'superbas', 2)).toBe(2);
    expect(editDistance('graph', 'grpah', 2)).toBe(1);
    expect(editDistance('kitten', 'sitting', 2)).toBe(3);
    expect(editDistance('abc', 'abcdefgh', 2)).toBe(3);
  });
});

describe('respell (speech-recognition spellings of product names)', () => {
  const corpus = vocab({
    superbas: 120,
    supabbas: 1,
    olama: 40,
    graffiti: 9,
    fast: 300,
    api: 500,
    mem: 5,
    '0': 80,
    agent: 3000,
  });

  it('maps a term the corpus never has onto its own spelling, preferring the common one', () => {
    expect(respell(['supabas'], corpus)).toEqual(new Map([['superbas', OOV_WEIGHT]]));
    expect(respell(['ollama'], corpus)).toEqual(new Map([['olama', OOV_WEIGHT]]));
    expect(respell(['graphiti'], corpus)).toEqual(new Map([['graffiti', OOV_WEIGHT]]));
  });

  it('splits a compound the transcript says as two words', () => {
    expect(respell(['fastapi'], corpus)).toEqual(
      new Map([
        ['fast', OOV_WEIGHT / 2],
        ['api', OOV_WEIGHT / 2],
      ]),
    );
    expect(respell(['mem0'], corpus)).toEqual(
      new Map([
        ['mem', OOV_WEIGHT / 2],
        ['0', OOV_WEIGHT / 2],
      ]),
    );
  });

  it('leaves known terms, short terms and terms with no close spelling alone', () => {
    expect(respell(['agent', 'groq', 'kubernetes', '42'], corpus)).toEqual(new Map());
    // a different first letter is another word, not a misspelling
    expect(respell(['verdict'], vocab({ predict: 50 }))).toEqual(new Map());
  });
});

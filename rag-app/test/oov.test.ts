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

  it('matches a name\'s last digit spelled out as well as written ("Mem0": "memzero", "mem zero", "mem 0")', () => {
    const said = vocab({ memzero: 8, mem: 5, zero: 40, '0': 80 });
    expect(respell(['mem0'], said)).toEqual(
      new Map([
        ['memzero', OOV_WEIGHT],
        ['mem', OOV_WEIGHT / 2],
        ['zero', OOV_WEIGHT / 2],
        ['0', OOV_WEIGHT / 2],
      ]),
    );
    // "Context7" is said "context 7": the usual respelling (one edit, "context") stays; the spelled
    // words only join it.
    expect(respell(['context7'], vocab({ context: 900, '7': 60, seven: 30 }))).toEqual(
      new Map([
        ['context', OOV_WEIGHT],
        ['seven', OOV_WEIGHT / 2],
      ]),
    );
  });

  it('searches the words either side of a digit said as a word ("Crawl4AI": "crawl for AI")', () => {
    const expected = new Map([
      ['crawl', OOV_WEIGHT / 2],
      ['ai', OOV_WEIGHT / 2],
    ]);
    expect(respell(['crawl4ai'], vocab({ crawl4ai: 2, crawl: 130, ai: 3000 }))).toEqual(expected);
    expect(respell(['crawl4ai'], vocab({ crawl: 130, ai: 3000 }))).toEqual(expected);
    // Said as one token often enough, it is left alone.
    expect(respell(['crawl4ai'], vocab({ crawl4ai: 40, crawl: 130, ai: 3000 }))).toEqual(new Map());
  });

  it('adds the two words of a joined spelling the corpus hardly uses ("webhook": 1 chunk, "web hook" many)', () => {
    const said = vocab({ webhook: 1, web: 200, hook: 150, notebook: 2, note: 30, book: 25 });
    expect(respell(['webhook'], said)).toEqual(
      new Map([
        ['web', OOV_WEIGHT / 2],
        ['hook', OOV_WEIGHT / 2],
      ]),
    );
    // Not when the parts are not far commoner, nor for a term the corpus says often enough.
    expect(respell(['notebook'], said)).toEqual(new Map());
    expect(respell(['webhook'], vocab({ webhook: 3, web: 200, hook: 150 }))).toEqual(new Map());
  });

  it('leaves known terms, short terms and terms with no close spelling alone', () => {
    expect(respell(['agent', 'groq', 'kubernetes', '42'], corpus)).toEqual(new Map());
    // a different first letter is another word, not a misspelling
    expect(respell(['verdict'], vocab({ predict: 50 }))).toEqual(new Map());
  });
});

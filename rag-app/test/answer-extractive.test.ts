import { describe, expect, it } from 'vitest';
import {
  composeAnswer,
  ExtractiveAnswerer,
  readingOrder,
  scoreSentences,
  selectSentences,
} from '../src/answer/extractive.ts';
import { REFUSAL_ANSWER } from '../src/answer/refusal.ts';
import { CLAUSE_WORDS, cleanSentence, hitSentences } from '../src/answer/sentences.ts';
import { deepLink } from '../src/types.ts';
import { makeHit, pivHits } from './answer-fixtures.ts';

const normalise = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, '')
    .replace(/\b(um|uh)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();

function markers(answer: string): number[] {
  return [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
}

describe('hitSentences', () => {
  it('gives each sentence the second it starts, interpolated inside its segment', () => {
    const hit = makeHit('vid00000001', 'T', [
      [100, 'first part here. second sentence about the loop'],
      [120, 'continues into the next segment. third one'],
    ]);
    const sentences = hitSentences(hit, 0);
    expect(sentences.map((s) => s.text)).toEqual([
      'first part here.',
      'second sentence about the loop continues into the next segment.',
      'third one',
    ]);
    expect(sentences[0]!.start).toBe(100);
    // "second" starts at character 17 of a 47-character segment spanning 100-120 s: 107.2 s.
    expect(sentences[1]!.start).toBe(Math.floor(100 + (20 * 17) / 47));
    // "third" at character 33 of 42 in the segment spanning 120-135 s.
    expect(sentences[2]!.start).toBe(Math.floor(120 + (15 * 33) / 42));
    expect(sentences[1]!.end).toBeGreaterThan(120);
    expect(sentences.every((s) => s.end >= s.start)).toBe(true);
  });

  it('keeps decimal points inside a sentence', () => {
    const hit = makeHit('vid00000001', 'T', [[0, 'claude opus 4.5 is out. it is fast']]);
    expect(hitSentences(hit, 0).map((s) => s.text)).toEqual(['claude opus 4.5 is out.', 'it is fast']);
  });

  it('cuts unpunctuated speech into clauses at discourse markers, losing no words', () => {
    const long =
      'this is a long stretch of speech without any punctuation at all which goes on and on about agents and tools ' +
      'so now we move to the next idea which is about planning the work before you write code because the plan matters ' +
      'but then you also need to validate everything you build with tests and reviews and a bit of manual checking too';
    const hit = makeHit('vid00000001', 'T', [
      [0, long],
      [60, 'end'],
    ]);
    const sentences = hitSentences(hit, 0);
    expect(sentences.length).toBeGreaterThan(1);
    for (const s of sentences)
      expect(s.text.split(' ').length).toBeLessThanOrEqual(CLAUSE_WORDS.max + CLAUSE_WORDS.min);
    expect(sentences.map((s) => s.text).join(' ')).toBe(`${long} end`);
    expect(sentences.some((s) => s.text.startsWith('so now'))).toBe(true);
    const starts = sentences.map((s) => s.start);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it('falls back to the hit text when it has no segments', () => {
    const hit = {
      ...makeHit('vid00000001', 'T', [[40, 'x']], { end: 70 }),
      text: 'one idea here. another idea',
      segments: [],
    };
    const sentences = hitSentences(hit, 2);
    expect(sentences.map((s) => [s.text, s.start, s.hitIndex])).toEqual([
      ['one idea here.', 40, 2],
      ['another idea', 40 + Math.floor((30 * 15) / 27), 2],
    ]);
  });
});

describe('cleanSentence', () => {
  it('drops fillers and stutters, capitalises, and ends with punctuation', () => {
    expect(cleanSentence('so um the the plan is what i use')).toBe('The plan is what I use.');
    expect(cleanSentence("and i'm sure it works?")).toBe("I'm sure it works?");
    expect(cleanSentence('okay')).toBe('Okay.');
  });
});

describe('ExtractiveAnswerer', () => {
  const question = 'What are the three stages of the PIV loop?';

  it('answers with sentences whose markers index citations that quote them at the right second', async () => {
    const hits = pivHits();
    const tokens: string[] = [];
    const out = await new ExtractiveAnswerer().answer(question, hits, { onToken: (t) => tokens.push(t) });

    expect(out.refused).toBe(false);
    expect(out.citations.length).toBeGreaterThanOrEqual(3);
    expect(out.citations.length).toBeLessThanOrEqual(5);
    // Markers appear once each, in order 1..n.
    expect(markers(out.answer)).toEqual(out.citations.map((_, i) => i + 1));
    // Every sentence carries a marker.
    for (const sentence of out.answer.split(/(?<=\])\s+/)) expect(sentence).toMatch(/\[\d+\]$/);
    const allSentences = hits.flatMap((h, i) => hitSentences(h, i));
    for (const c of out.citations) {
      const source = allSentences.find(
        (s) => s.videoId === c.videoId && normalise(s.text).endsWith(normalise(c.text)),
      );
      expect(source, c.text).toBeDefined();
      expect(c.start).toBe(source!.start);
      expect(c.url).toBe(deepLink(c.videoId, c.start));
      expect(out.answer).toContain(c.text);
      expect(c.title).toBe(hits.find((h) => h.videoId === c.videoId)!.title);
    }
    // The stages are quoted, and the answer streams exactly as returned.
    expect(out.answer).toMatch(/first stage is planning/);
    expect(out.answer).toMatch(/third stage is validating/);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.join('')).toBe(out.answer);
  });

  it('cites the sentence that starts mid-segment at its own second', async () => {
    const out = await new ExtractiveAnswerer().answer(question, pivHits());
    const second = out.citations.find((c) => c.text.startsWith('Then the second stage is implementing'));
    expect(second).toBeDefined();
    const seg =
      'the first stage is planning where you do the research and write a structured plan. then the second stage is implementing';
    expect(second!.start).toBe(Math.floor(134 + (17 * seg.indexOf('then the second')) / seg.length));
  });

  it('is deterministic, and a repeated overlapping chunk changes nothing', async () => {
    const answerer = new ExtractiveAnswerer();
    const a = await answerer.answer(question, pivHits());
    const b = await answerer.answer(question, pivHits());
    expect(b).toEqual(a);
    const withRepeat = [...pivHits(), pivHits()[0]!];
    expect(await answerer.answer(question, withRepeat)).toEqual(a);
  });

  it('does not quote the same moment twice when chunks overlap', async () => {
    const out = await new ExtractiveAnswerer().answer('why should you never skip validation', pivHits());
    const keys = out.citations.map((c) => `${c.videoId}@${c.start}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(out.citations.filter((c) => /validation means running the tests/i.test(c.text))).toHaveLength(1);
  });

  it('refuses with no hits, streaming the refusal', async () => {
    const tokens: string[] = [];
    const out = await new ExtractiveAnswerer().answer(question, [], { onToken: (t) => tokens.push(t) });
    expect(out).toEqual({ answer: REFUSAL_ANSWER, refused: true, citations: [] });
    expect(tokens.join('')).toBe(REFUSAL_ANSWER);
  });

  it('refuses when the hits do not speak to the question', async () => {
    const out = await new ExtractiveAnswerer().answer(
      'How do I modernise COBOL mainframes with Kubernetes?',
      pivHits(),
    );
    expect(out.refused).toBe(true);
    expect(out.citations).toEqual([]);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      new ExtractiveAnswerer().answer(question, pivHits(), { signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
    const midway = new AbortController();
    let seen = 0;
    const run = new ExtractiveAnswerer().answer(question, pivHits(), {
      signal: midway.signal,
      onToken: () => {
        if (++seen === 3) midway.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toBe(3);
  });
});

describe('sentence selection', () => {
  it('ranks sentences holding more of the question terms first and boosts the top hit', () => {
    const scored = scoreSentences('three stages of the piv loop', pivHits());
    expect(scored[0]!.text).toMatch(/three stages/);
    const relevances = scored.map((s) => s.relevance);
    expect([...relevances].sort((a, b) => b - a)).toEqual(relevances);
  });

  it('picks at most maxSentences, skipping near-duplicates from other videos', () => {
    const same = 'the piv loop has three stages planning implementing and validating';
    const hits = [
      makeHit('aaaaaaaaaaa', 'A', [[0, same]], { rank: 1 }),
      makeHit('bbbbbbbbbbb', 'B', [[0, same]], { rank: 2 }),
      makeHit('ccccccccccc', 'C', [[0, 'validating the piv loop output with tests']], { rank: 3 }),
    ];
    const chosen = selectSentences(scoreSentences('three stages of the piv loop', hits));
    expect(chosen.map((s) => s.videoId)).toEqual(['aaaaaaaaaaa', 'ccccccccccc']);
  });

  it('groups the answer by video and orders each video by time', () => {
    const scored = scoreSentences('three stages of the piv loop plan validation', pivHits());
    const groups = readingOrder(selectSentences(scored));
    for (const g of groups) {
      expect(new Set(g.map((s) => s.videoId)).size).toBe(1);
      expect(g.map((s) => s.start)).toEqual([...g.map((s) => s.start)].sort((a, b) => a - b));
    }
    const { answer, citations } = composeAnswer(groups);
    expect(answer.split('\n\n')).toHaveLength(groups.length);
    expect(markers(answer)).toEqual(citations.map((_, i) => i + 1));
  });
});

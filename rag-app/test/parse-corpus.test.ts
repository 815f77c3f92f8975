import { describe, expect, it } from 'vitest';
import { ESTIMATED_WORDS_PER_SECOND, estimateTimes, parseCorpusMarkdown } from '../src/ingest/corpus.ts';
import { parseFrontMatter } from '../src/ingest/front-matter.ts';
import { parseClock } from '../src/ingest/segments.ts';
import { readFixture as read } from './fixtures/ingest/support.ts';

describe('parseCorpusMarkdown', () => {
  it('reads front matter and timestamped segments, ending the last at the video duration', () => {
    expect(parseCorpusMarkdown(read('sample.md'), 'sample.md')).toEqual({
      videoId: 'abcDEF12345',
      title: 'A "quoted" title: with a colon',
      url: 'https://www.youtube.com/watch?v=abcDEF12345',
      published: '2025-01-02',
      durationSec: 60,
      source: 'corpus',
      segments: [
        { start: 0, end: 15, text: 'first segment' },
        { start: 15, end: 31, text: 'second segment continues on a wrapped line' },
        { start: 31, end: 60, text: 'third segment' },
      ],
    });
  });

  it('times a transcript without timestamps from its word count', () => {
    const t = parseCorpusMarkdown(read('plain.md'), 'plain.md');
    const r = ESTIMATED_WORDS_PER_SECOND;
    expect(t.title).toBe("It's plain");
    expect(t.durationSec).toBeNull();
    expect(t.segments).toEqual([
      {
        start: 0,
        end: Math.round((10 / r) * 1000) / 1000,
        text: 'One two three four five six seven. Eight nine ten.',
      },
      {
        start: Math.round((10 / r) * 1000) / 1000,
        end: Math.round((13 / r) * 1000) / 1000,
        text: 'Eleven twelve thirteen.',
      },
    ]);
  });

  it('reads the corpus layout exactly, with a BOM, CRLF and extra whitespace', () => {
    const text = [
      '\ufeff---',
      'type: raw-transcript',
      'title: "T"',
      'youtube_id: abcDEF12345',
      'published: 2025-01-02',
      'duration: "0:00:40"',
      'immutable: true',
      '---',
      '',
      '## Transcript',
      '',
      '**[0:00:00]**   first \t  segment  ',
      '',
      '**[0:00:16]** second',
      '',
    ].join('\r\n');
    expect(parseCorpusMarkdown(text, 'x').segments).toEqual([
      { start: 0, end: 16, text: 'first segment' },
      { start: 16, end: 40, text: 'second' },
    ]);
  });

  it('fills missing metadata from the manifest entry, the file winning where it has a value', () => {
    const text = '---\ntitle: "Own title"\nduration: ""\n---\n## Transcript\n**[0:00:01]** hi\n';
    const t = parseCorpusMarkdown(text, 'x.md', {
      youtube_id: 'abcDEF12345',
      title: 'Manifest',
      duration: '0:00:30',
    });
    expect(t).toMatchObject({ videoId: 'abcDEF12345', title: 'Own title', durationSec: 30 });
    expect(t.segments).toEqual([{ start: 1, end: 30, text: 'hi' }]);
  });

  it('names what is wrong', () => {
    const fm = (body: string) => `---\ntitle: "T"\nyoutube_id: abcDEF12345\n---\n${body}`;
    expect(() => parseCorpusMarkdown('---\ntitle: x\n---\n## Transcript\n**[0:00:00]** a\n', 'x')).toThrow(
      'front matter: youtube_id: ',
    );
    expect(() => parseCorpusMarkdown('## Transcript\n**[0:00:00]** a\n', 'x')).toThrow(
      'no front matter (metadata from the manifest only): title: is missing; youtube_id: is missing',
    );
    expect(() => parseCorpusMarkdown(fm('**[0:00:00]** a\n'), 'x')).toThrow("no '## Transcript' heading");
    expect(() => parseCorpusMarkdown(fm('## Transcript\n\n**[0:00:00]** a\n**[0:0x:10]** b\n'), 'x')).toThrow(
      "line 8: bad timestamp, expected '**[H:MM:SS]** text', got '**[0:0x:10]** b'",
    );
    expect(() => parseCorpusMarkdown(fm('## Transcript\nintro text\n**[0:00:05]** a\n'), 'x')).toThrow(
      "line 6: text before the first '**[H:MM:SS]**' timestamp",
    );
    expect(() => parseCorpusMarkdown(fm('## Transcript\n\n'), 'x')).toThrow(
      'the transcript section has no text',
    );
    expect(() =>
      parseCorpusMarkdown(
        '---\ntitle: "T"\nyoutube_id: abcDEF12345\nduration: "1h"\n---\n## Transcript\nx',
        'x',
      ),
    ).toThrow("front matter: duration: expected H:MM:SS, got '1h'");
    expect(() => parseCorpusMarkdown('---\ntitle: "T"\n  nested: 1\n---\n', 'x')).toThrow(
      "front matter line 3: expected 'key: value'",
    );
    expect(() => parseCorpusMarkdown('---\ntitle: "T\n', 'x')).toThrow(
      'front matter line 2: badly quoted string',
    );
    expect(() => parseCorpusMarkdown('---\ntitle: T\n', 'x')).toThrow('front matter is not closed');
  });
});

describe('estimateTimes', () => {
  it('cuts a long paragraph at sentence ends into pieces of about 15 s', () => {
    const sentence = `${'word '.repeat(20).trim()}.`;
    const paragraph = Array.from({ length: 12 }, () => sentence).join(' ');
    const pieces = estimateTimes([paragraph], 4);
    // 240 words at 4 words/s: target 60 words = three sentences a piece.
    expect(pieces).toHaveLength(4);
    expect(pieces.map((p) => p.start)).toEqual([0, 15, 30, 45]);
    expect(pieces.at(-1)?.end).toBe(60);
  });

  it('cuts a sentence with no end mark every N words', () => {
    const pieces = estimateTimes(['w '.repeat(200).trim()], 4);
    expect(pieces.map((p) => p.text.split(' ').length)).toEqual([60, 60, 60, 20]);
  });
});

describe('front matter and clocks', () => {
  it('reads bare, double- and single-quoted values and skips comments', () => {
    const lines = ['---', '# c', "a: 'it''s'", 'b: "x\\"y"', 'c: bare # note', 'd:', '---', 'body'];
    expect(parseFrontMatter(lines)).toEqual({
      data: { a: "it's", b: 'x"y', c: 'bare', d: '' },
      bodyStart: 7,
    });
    expect(parseFrontMatter(['no front matter'])).toBeNull();
  });

  it('parses clock forms and rejects others', () => {
    expect(parseClock('1:02:03')).toBe(3723);
    expect(parseClock('02:03')).toBe(123);
    expect(parseClock('00:00:01,250')).toBe(1.25);
    expect(parseClock('0:61:00')).toBeNull();
    expect(parseClock('1:2:3:4')).toBeNull();
    expect(parseClock('abc')).toBeNull();
  });
});

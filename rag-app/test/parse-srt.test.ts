import { describe, expect, it } from 'vitest';
import { parseSrt } from '../src/ingest/srt.ts';
import { readFixture as read } from './fixtures/ingest/support.ts';

const expected = [
  { start: 1, end: 4, text: 'First line of the first cue' },
  { start: 4, end: 6.5, text: 'Second cue & more' },
  { start: 9, end: 12, text: 'Third cue after a gap' },
];

describe('parseSrt', () => {
  it('reads indices, timings and multi-line text, stripping tags and entities', () => {
    expect(parseSrt(read('lecture.jNQXAC9IVRw.srt'))).toEqual(expected);
  });

  it('accepts a BOM, CRLF line ends and whitespace-only separator lines', () => {
    const text = `\ufeff${read('lecture.jNQXAC9IVRw.srt').replace(/\n\n/g, '\n  \n').replace(/\n/g, '\r\n')}`;
    expect(parseSrt(text)).toEqual(expected);
  });

  it('accepts blocks without an index and dot milliseconds', () => {
    expect(parseSrt('00:00:01.5 --> 00:00:02.25\nhello\n')).toEqual([
      { start: 1.5, end: 2.25, text: 'hello' },
    ]);
  });

  it('gives an empty list for an empty file and drops cues with no text', () => {
    expect(parseSrt('')).toEqual([]);
    expect(parseSrt('1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n')).toEqual([]);
  });

  it('names the line of a malformed timing', () => {
    expect(() => parseSrt(read('bad-timing.srt'))).toThrow(
      "line 6: expected a timing '00:00:01,000 --> 00:00:04,000', got '00:00:04 to 00:00:06'",
    );
    expect(() => parseSrt('1\n\n2\n00:00:01,000 --> 00:00:02,000\nx\n')).toThrow(
      "line 1: cue '1' has no timing line",
    );
    expect(() =>
      parseSrt('1\n00:00:01,000 --> 00:00:02,000\nok\n\n\n7\n00:61:00,000 --> 00:62:00,000\nx'),
    ).toThrow(/^line 7: /);
  });
});

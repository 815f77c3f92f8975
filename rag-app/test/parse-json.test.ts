import { describe, expect, it } from 'vitest';
import { detectTimeUnit, parseTranscriptJson, timedItemsToSegments } from '../src/ingest/json.ts';
import { readFixture as read } from './fixtures/ingest/support.ts';

describe('parseTranscriptJson', () => {
  it('reads an array in seconds, decoding double-escaped entities and dropping blank lines', () => {
    expect(parseTranscriptJson(read('M7lc1UVf-VE.json'))).toEqual({
      videoId: null,
      title: null,
      published: null,
      segments: [
        { start: 0.5, end: 2.6, text: "it's a classic caption" },
        { start: 2.6, end: 5.6, text: 'in seconds, with a newline' },
        { start: 6.6, end: 9, text: 'the last one' },
      ],
    });
  });

  it('reads an object in milliseconds with its own id, title and date, sorted by start', () => {
    expect(parseTranscriptJson(read('episode.json'))).toEqual({
      videoId: '9bZkp7q19f0',
      title: 'An episode in milliseconds',
      published: '2024-03-05',
      segments: [
        { start: 0, end: 3.2, text: 'first line' },
        { start: 3.2, end: 6, text: 'second line' },
        { start: 6, end: 10, text: 'third line' },
      ],
    });
  });

  it("accepts 'transcript' instead of 'segments', start/dur aliases, and a BOM", () => {
    const text = '\ufeff{"transcript":[{"text":"a","start":1,"dur":2},{"text":"b","start":"3.5","dur":"1"}]}';
    expect(parseTranscriptJson(text).segments).toEqual([
      { start: 1, end: 3, text: 'a' },
      { start: 3.5, end: 4.5, text: 'b' },
    ]);
  });

  it('reports syntax errors with a line number and bad fields by path', () => {
    expect(() => parseTranscriptJson('[\n{"text": "a", "offset": 1, "duration": 2},\n{oops}\n]')).toThrow(
      /^invalid JSON at line 3: /,
    );
    expect(() => parseTranscriptJson('[{"text":"a","offset":"soon","duration":1}]')).toThrow(/^0\.offset: /);
    expect(() => parseTranscriptJson('[{"text":"a","duration":1}]')).toThrow(
      "0: needs 'offset' (or 'start')",
    );
    expect(() => parseTranscriptJson('{"segments":[{"text":"a","offset":-1,"duration":1}]}')).toThrow(
      /^segments\.0\.offset: /,
    );
    expect(() => parseTranscriptJson('{"title":"x"}')).toThrow("expected a 'segments' or 'transcript' array");
    expect(() => parseTranscriptJson('{"videoId":"short","segments":[]}')).toThrow(
      'videoId: must be an 11-character YouTube video id',
    );
    expect(() => parseTranscriptJson('"just a string"')).toThrow(/expected an array/);
    expect(() => parseTranscriptJson('  \n')).toThrow('the file is empty');
  });
});

describe('detectTimeUnit', () => {
  const item = (offset: number, duration: number) => ({ text: 'x', offset, duration });

  it('takes fractional values as seconds', () => {
    expect(detectTimeUnit([item(0, 2000), item(2000, 1500.5)])).toBe('s');
  });

  it('decides whole numbers by the median duration', () => {
    expect(detectTimeUnit([item(0, 1500), item(1500, 2200), item(3700, 1800)])).toBe('ms');
    expect(detectTimeUnit([item(0, 5), item(5, 4), item(9, 3)])).toBe('s');
    // A 7-hour stream in whole seconds stays in seconds: durations decide before length does.
    expect(detectTimeUnit([item(0, 4), item(25_000, 6)])).toBe('s');
  });

  it('falls back to the length when there are no durations', () => {
    expect(detectTimeUnit([item(0, 0), item(30_000, 0)])).toBe('ms');
    expect(detectTimeUnit([item(0, 0), item(300, 0)])).toBe('s');
    expect(detectTimeUnit([])).toBe('s');
  });

  it('converts milliseconds to seconds in segments', () => {
    expect(timedItemsToSegments([item(1000, 2000), item(5000, 1000)])).toEqual([
      { start: 1, end: 3, text: 'x' },
      { start: 5, end: 6, text: 'x' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseVtt } from '../src/ingest/vtt.ts';
import { readFixture as read } from './fixtures/ingest/support.ts';

describe('parseVtt', () => {
  it('reads YouTube rolling auto-captions once each, without inline timestamps or <c> tags', () => {
    expect(parseVtt(read('dQw4w9WgXcQ.vtt'))).toEqual([
      { start: 0.32, end: 2.55, text: 'hey everyone welcome back' },
      { start: 2.56, end: 5.19, text: "today we're building a rag agent" },
      { start: 5.2, end: 8, text: 'with postgres & pgvector' },
    ]);
  });

  it('skips STYLE and NOTE blocks and cue ids, reads mm:ss.ttt and multi-line cues, drops empty cues', () => {
    expect(parseVtt(read('talk.vtt'))).toEqual([
      { start: 1, end: 4.5, text: 'Welcome to the talk.' },
      { start: 4.5, end: 7.25, text: 'Today: <chunking> & retrieval, two lines of one cue.' },
      { start: 3723, end: 3725, text: 'An hour later.' },
    ]);
  });

  it('accepts a BOM and CRLF line ends', () => {
    const crlf = `\ufeff${read('talk.vtt').replace(/\n/g, '\r\n')}`;
    expect(parseVtt(crlf)).toEqual(parseVtt(read('talk.vtt')));
  });

  it('sorts cues by start and clips overlapping ends to the next start', () => {
    const text = 'WEBVTT\n\n00:00:05.000 --> 00:00:09.000\nlater\n\n00:00:01.000 --> 00:00:07.000\nearlier\n';
    expect(parseVtt(text)).toEqual([
      { start: 1, end: 5, text: 'earlier' },
      { start: 5, end: 9, text: 'later' },
    ]);
  });

  it('gives an empty list for a header-only file', () => {
    expect(parseVtt('WEBVTT\n')).toEqual([]);
  });

  it('rejects a file without the WEBVTT header', () => {
    expect(() => parseVtt('')).toThrow(/line 1: not a WebVTT file/);
    expect(() => parseVtt('1\n00:00:01,000 --> 00:00:02,000\nhi\n')).toThrow(/line 1: not a WebVTT file/);
  });

  it('names the line of a malformed cue timing', () => {
    const text = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\ncue-2\n00:00:02 --> 00:00:03.000\nbad\n';
    expect(() => parseVtt(text)).toThrow(/line 7: bad cue time '00:00:02'/);
    expect(() => parseVtt('WEBVTT\n\njust some text\nmore\n')).toThrow(/line 4: expected a cue timing/);
    expect(() => parseVtt('WEBVTT\n\n00:00:01.000 --> 00:01:70.000\nx\n')).toThrow(
      /line 3: bad cue time '00:01:70.000'/,
    );
  });
});

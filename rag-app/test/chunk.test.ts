import { describe, expect, it } from 'vitest';
import { chunkSegments, endsSentence } from '../src/ingest/chunk.ts';
import type { Segment } from '../src/types.ts';

const seg = (start: number, text: string, len = 15): Segment => ({ start, end: start + len, text });

describe('chunkSegments', () => {
  const segments = Array.from({ length: 20 }, (_, i) =>
    seg(i * 15, `segment ${i} talks about topic ${i}${i % 3 === 2 ? '.' : ''}`),
  );

  it('builds windows of whole segments that keep their times', () => {
    const chunks = chunkSegments('vid', segments, {
      targetSeconds: 60,
      overlapSeconds: 0,
      sentenceSlackSeconds: 0,
      titleTermWeight: 0,
    });
    expect(chunks[0]).toMatchObject({ videoId: 'vid', ordinal: 0, start: 0, end: 60 });
    expect(chunks[0]!.segments).toHaveLength(4);
    expect(chunks[0]!.text).toBe(
      segments
        .slice(0, 4)
        .map((s) => s.text)
        .join(' '),
    );
    expect(chunks[1]!.start).toBe(60);
    // every segment lands in some chunk and chunk spans match their segments
    const covered = new Set(chunks.flatMap((c) => c.segments.map((s) => s.start)));
    expect(covered.size).toBe(20);
    for (const c of chunks) {
      expect(c.start).toBe(c.segments[0]!.start);
      expect(c.end).toBe(c.segments.at(-1)!.end);
    }
  });

  it('overlaps consecutive windows by about the overlap and always moves forward', () => {
    const chunks = chunkSegments('vid', segments, {
      targetSeconds: 60,
      overlapSeconds: 30,
      sentenceSlackSeconds: 0,
      titleTermWeight: 0,
    });
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.start).toBeGreaterThan(chunks[i - 1]!.start);
      expect(chunks[i - 1]!.end - chunks[i]!.start).toBe(30);
    }
    expect(chunks.at(-1)!.end).toBe(300);
  });

  it('extends a window to a nearby sentence end instead of cutting mid-sentence', () => {
    const chunks = chunkSegments('vid', segments, {
      targetSeconds: 60,
      overlapSeconds: 0,
      sentenceSlackSeconds: 30,
      titleTermWeight: 0,
    });
    // segments 0..3 reach 60 s; segment 5 ("…topic 5.") ends a sentence at 90 s, within the slack
    expect(chunks[0]!.end).toBe(90);
    expect(endsSentence(chunks[0]!.segments.at(-1)!.text)).toBe(true);
  });

  it('handles a single segment and no segments', () => {
    expect(chunkSegments('v', [seg(5, 'only one')])).toEqual([
      { videoId: 'v', ordinal: 0, start: 5, end: 20, text: 'only one', segments: [seg(5, 'only one')] },
    ]);
    expect(chunkSegments('v', [])).toEqual([]);
  });
});

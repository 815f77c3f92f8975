import type { SourceItem, Transcript } from '../../src/types.ts';

/** A small hand-made transcript: one 15 s segment per line. */
export function video(videoId: string, title: string, lines: string[], published = '2025-01-01'): Transcript {
  return {
    videoId,
    title,
    url: `https://www.youtube.com/watch?v=${videoId}`,
    published,
    durationSec: lines.length * 15,
    source: 'corpus',
    segments: lines.map((text, i) => ({ start: i * 15, end: i * 15 + 15, text })),
  };
}

/** Lines that talk around a topic without naming the moment a test looks for. */
export const filler = (topic: string, n: number): string[] =>
  Array.from(
    { length: n },
    (_, i) => `part ${i} of the talk where we keep discussing ${topic} in general terms.`,
  );

export const ok = (t: Transcript): SourceItem => ({ ref: t.videoId, ok: true, transcript: t });

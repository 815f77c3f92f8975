import type { Chunk, Segment } from '../types.ts';

export interface ChunkOptions {
  /** A chunk grows until it spans at least this many seconds. */
  targetSeconds: number;
  /** Seconds of the previous chunk repeated at the start of the next. */
  overlapSeconds: number;
  /** Allowed extra seconds to reach a sentence end instead of cutting mid-sentence. */
  sentenceSlackSeconds: number;
  /** The video title's terms are added to every chunk's postings this many times (0: not at all). */
  titleTermWeight: number;
}

/** Chosen by measuring on the key-moment and concept dev sets (see rag-app/README.md, "Tuning"). */
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = {
  targetSeconds: 60,
  overlapSeconds: 30,
  sentenceSlackSeconds: 20,
  titleTermWeight: 0,
};

const SENTENCE_END = /[.!?]["')\]]?\s*$/;

export function endsSentence(text: string): boolean {
  return SENTENCE_END.test(text);
}

/**
 * Groups whole segments into overlapping time windows. A window closes once it spans the target
 * duration and, where the text allows, at a segment that ends a sentence (within a little slack).
 */
export function chunkSegments(
  videoId: string,
  segments: readonly Segment[],
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): Chunk[] {
  const chunks: Chunk[] = [];
  let first = 0;
  while (first < segments.length) {
    const startSec = segments[first]!.start;
    let last = first;
    while (last + 1 < segments.length && segments[last]!.end - startSec < options.targetSeconds) last++;
    // Extend to a sentence end when one is close, so chunks read as whole thoughts.
    let probe = last;
    while (
      !endsSentence(segments[probe]!.text) &&
      probe + 1 < segments.length &&
      segments[probe + 1]!.end - startSec <= options.targetSeconds + options.sentenceSlackSeconds
    ) {
      probe++;
    }
    if (endsSentence(segments[probe]!.text)) last = probe;
    const members = segments.slice(first, last + 1);
    chunks.push({
      videoId,
      ordinal: chunks.length,
      start: startSec,
      end: segments[last]!.end,
      text: members.map((s) => s.text).join(' '),
      segments: members.map((s) => ({ start: s.start, end: s.end, text: s.text })),
    });
    if (last + 1 >= segments.length) break;
    // Next window starts at the first segment inside the overlap, always moving forward.
    const overlapFrom = segments[last]!.end - options.overlapSeconds;
    let next = last + 1;
    while (next - 1 > first && segments[next - 1]!.start >= overlapFrom) next--;
    first = Math.max(first + 1, next);
  }
  return chunks;
}

import type { Segment } from '../types.ts';
import { normaliseWhitespace } from './text.ts';

/** A piece of timed text as a parser reads it, before ends are settled. Times in seconds. */
export interface TimedText {
  start: number;
  /** Explicit end (cue end, or start + duration) when the format gives one. */
  end?: number | null;
  text: string;
}

/** Fallback length of the last segment when neither its own end nor the video duration is known. */
export const LAST_SEGMENT_FALLBACK_SEC = 15;

/** No video lasts 115 days: a time past this is garbage (and 1e308 s would round to Infinity). */
export const MAX_MEDIA_SECONDS = 1e7;

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Turns parsed pieces into the segments every source yields: whitespace normalised, empty ones
 * dropped, sorted by start (stable), and each `end` settled:
 * - explicit end, clipped to the next later start so that segments never overlap (YouTube's
 *   auto-captions overlap by design, which would make a chunk claim seconds it does not cover);
 * - otherwise the next later start;
 * - for the last one: its own end, else the video duration, else start + 15 s.
 */
export function finaliseSegments(pieces: readonly TimedText[], durationSec: number | null = null): Segment[] {
  const kept = pieces
    .map((p) => ({ start: p.start, end: p.end ?? null, text: normaliseWhitespace(p.text) }))
    .filter((p) => p.text !== '' && Number.isFinite(p.start) && p.start >= 0 && p.start <= MAX_MEDIA_SECONDS)
    .sort((a, b) => a.start - b.start);

  const out: Segment[] = [];
  for (let i = 0; i < kept.length; i++) {
    const p = kept[i]!;
    let next: number | null = null;
    for (let j = i + 1; j < kept.length; j++) {
      if (kept[j]!.start > p.start) {
        next = kept[j]!.start;
        break;
      }
    }
    const own = p.end !== null && p.end > p.start && p.end <= MAX_MEDIA_SECONDS ? p.end : null;
    let end: number;
    if (own !== null) end = next !== null ? Math.min(own, next) : own;
    else if (next !== null) end = next;
    else if (durationSec !== null && durationSec > p.start && durationSec <= MAX_MEDIA_SECONDS)
      end = durationSec;
    else end = p.start + LAST_SEGMENT_FALLBACK_SEC;
    out.push({ start: round3(p.start), end: round3(end), text: p.text });
  }
  return out;
}

/**
 * Parses a clock time into seconds: `H:MM:SS`, `MM:SS`, `SS`, each optionally with a fraction
 * after `.` or `,` (`00:00:01,000`, `01:02.5`). Returns null when the text is not a clock.
 */
export function parseClock(text: string): number | null {
  const m = /^(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const [, h, mm, ss, frac] = m;
  const minutes = mm === undefined ? 0 : Number(mm);
  const seconds = Number(ss);
  if (seconds >= 60 || (h !== undefined && minutes >= 60)) return null;
  const fraction = frac === undefined ? 0 : Number(frac) / 10 ** frac.length;
  return (h === undefined ? 0 : Number(h)) * 3600 + minutes * 60 + seconds + fraction;
}

import { type DescribeIssuesOptions, describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import type { Segment } from '../types.ts';
import { finaliseSegments, type TimedText } from './segments.ts';
import { cleanCueText, stripBom } from './text.ts';
import { VIDEO_ID_RE } from './video-ref.ts';

/** How ingest names what is wrong with a file: `segments.3.offset: expected number`, three at most. */
export const INGEST_ISSUES: DescribeIssuesOptions = { root: 'value', max: 3, countRest: true };

/** A caption line as youtube-transcript returns it (and as JSON dumps of it look). */
export interface TimedItem {
  text: string;
  offset: number;
  duration: number;
  lang?: string | undefined;
}

export type TimeUnit = 'ms' | 's';

const number = z.union([
  z.number(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*$/, 'expected a number')
    .transform(Number),
]);
const nonNegative = number.pipe(z.number().nonnegative().finite());

// `start`/`dur` are accepted as aliases: youtube-transcript-api (Python) dumps use them.
const itemSchema = z
  .object({
    text: z.string(),
    offset: nonNegative.optional(),
    start: nonNegative.optional(),
    duration: nonNegative.optional(),
    dur: nonNegative.optional(),
    lang: z.string().optional(),
  })
  .transform((item, ctx): TimedItem => {
    const offset = item.offset ?? item.start;
    if (offset === undefined) {
      ctx.addIssue({ code: 'custom', message: "needs 'offset' (or 'start')" });
      return z.NEVER;
    }
    return { text: item.text, offset, duration: item.duration ?? item.dur ?? 0, lang: item.lang };
  });

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}/, 'expected an ISO date YYYY-MM-DD')
  .transform((s) => s.slice(0, 10));

const objectSchema = z
  .object({
    videoId: z.string().regex(VIDEO_ID_RE, 'must be an 11-character YouTube video id').optional(),
    title: z.string().trim().min(1).optional(),
    published: isoDate.nullable().optional(),
    segments: z.array(itemSchema).optional(),
    transcript: z.array(itemSchema).optional(),
  })
  .refine((o) => o.segments !== undefined || o.transcript !== undefined, {
    message: "expected a 'segments' or 'transcript' array",
  });

export interface ParsedJsonTranscript {
  videoId: string | null;
  title: string | null;
  published: string | null;
  segments: Segment[];
}

/**
 * Decides whether offsets/durations are milliseconds or seconds. youtube-transcript returns both:
 * srv3 captions as integer milliseconds, classic captions as fractional seconds.
 * 1. Any non-integer value means seconds (millisecond values are always whole).
 * 2. Otherwise the median positive duration decides: a caption line lasts 1-10 s, so a median
 *    above 100 can only be milliseconds, and one of at most 100 can only be seconds (no line
 *    lasts under 0.1 s).
 * 3. With no durations at all, an end past 6 h (longer than nearly any video) means milliseconds.
 */
export function detectTimeUnit(items: readonly TimedItem[]): TimeUnit {
  if (items.some((i) => !Number.isInteger(i.offset) || !Number.isInteger(i.duration))) return 's';
  const durations = items
    .map((i) => i.duration)
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  if (durations.length > 0) return durations[Math.floor(durations.length / 2)]! > 100 ? 'ms' : 's';
  let maxOffset = 0;
  for (const i of items) maxOffset = Math.max(maxOffset, i.offset);
  return maxOffset > 6 * 3600 ? 'ms' : 's';
}

/** Caption lines (either unit) to segments in seconds, text cleaned of tags and entities. */
export function timedItemsToSegments(
  items: readonly TimedItem[],
  unit: TimeUnit = detectTimeUnit(items),
): Segment[] {
  const k = unit === 'ms' ? 1000 : 1;
  const pieces: TimedText[] = items.map((i) => ({
    start: i.offset / k,
    end: i.duration > 0 ? (i.offset + i.duration) / k : null,
    text: cleanCueText(i.text),
  }));
  return finaliseSegments(pieces);
}

function jsonSyntaxError(text: string, err: unknown): InputError {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /position (\d+)/.exec(message);
  if (pos) {
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    return new InputError(`invalid JSON at line ${line}: ${message}`, { line });
  }
  return new InputError(`invalid JSON: ${message}`);
}

/**
 * Parses youtube-transcript-shaped JSON: an array of `{ text, offset, duration, lang? }`, or an
 * object `{ videoId?, title?, published?, segments | transcript }`. Throws InputError naming the
 * bad field (`segments.3.offset: expected number`).
 */
export function parseTranscriptJson(text: string): ParsedJsonTranscript {
  const body = stripBom(text);
  if (body.trim() === '') throw new InputError('the file is empty');
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (err) {
    throw jsonSyntaxError(body, err);
  }
  if (Array.isArray(data)) {
    const items = z.array(itemSchema).safeParse(data);
    if (!items.success) throw new InputError(describeZodIssues(items.error, INGEST_ISSUES));
    return { videoId: null, title: null, published: null, segments: timedItemsToSegments(items.data) };
  }
  if (data === null || typeof data !== 'object') {
    throw new InputError(
      'expected an array of { text, offset, duration } or an object with a segments array',
    );
  }
  const parsed = objectSchema.safeParse(data);
  if (!parsed.success) throw new InputError(describeZodIssues(parsed.error, INGEST_ISSUES));
  const o = parsed.data;
  return {
    videoId: o.videoId ?? null,
    title: o.title ?? null,
    published: o.published ?? null,
    segments: timedItemsToSegments(o.segments ?? o.transcript ?? []),
  };
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { errorMessage, InputError } from '../errors.ts';
import { logger } from '../log.ts';
import type { Segment, SourceItem, Transcript } from '../types.ts';
import { watchUrl } from '../types.ts';
import { parseFrontMatter } from './front-matter.ts';
import { INGEST_ISSUES } from './json.ts';
import { finaliseSegments, parseClock, type TimedText } from './segments.ts';
import { countWords, splitLines } from './text.ts';
import { VIDEO_ID_RE } from './video-ref.ts';

/**
 * Speaking rate used to give times to a transcript that has none. Measured on the corpus itself:
 * its timestamped segments hold a median 53 words per 15 s (mean 55 words per 15.6 s), i.e.
 * ~3.5 words/s. The generic 2.6 words/s (150 wpm) would stretch a 60-minute video to 80 minutes.
 */
export const ESTIMATED_WORDS_PER_SECOND = 3.5;
/** Length aimed at for estimated segments: the corpus's own segment spacing. */
export const ESTIMATED_SEGMENT_SEC = 15;

/** Metadata a manifest (or the caller) can supply when the front matter lacks it. */
export const corpusMetaSchema = z.object({
  title: z.string().optional(),
  youtube_id: z.string().optional(),
  url: z.string().optional(),
  slug: z.string().optional(),
  published: z.string().optional(),
  duration: z.string().optional(),
});
export type CorpusMeta = z.infer<typeof corpusMetaSchema>;

const required = {
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'is missing' : 'must be text'),
};

const metaSchema = z.object({
  title: z.string(required).trim().min(1, 'is empty'),
  youtube_id: z.string(required).regex(VIDEO_ID_RE, 'must be an 11-character YouTube video id'),
  published: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return null;
      if (!/^\d{4}-\d{2}-\d{2}/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `expected a date YYYY-MM-DD, got '${s}'` });
        return z.NEVER;
      }
      return s.slice(0, 10);
    }),
  duration: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return null;
      const sec = parseClock(s);
      if (sec === null) {
        ctx.addIssue({ code: 'custom', message: `expected H:MM:SS, got '${s}'` });
        return z.NEVER;
      }
      return sec;
    }),
});

const TIMESTAMP_LINE = /^\*\*\[([^\]]*)\]\*\*\s*(.*)$/;

/**
 * Parses one corpus Markdown file (front matter, `## Transcript`, `**[H:MM:SS]** text` lines).
 * A file without any timestamp is read as paragraphs timed from its word count. Throws
 * InputError naming the line or field that is wrong.
 */
export function parseCorpusMarkdown(text: string, ref: string, fallback: CorpusMeta = {}): Transcript {
  const lines = splitLines(text);
  const fm = parseFrontMatter(lines);
  const own = Object.fromEntries(Object.entries(fm?.data ?? {}).filter(([, v]) => v !== ''));
  const parsed = metaSchema.safeParse({ ...fallback, ...own });
  if (!parsed.success) {
    throw new InputError(
      `${fm ? 'front matter' : 'no front matter (metadata from the manifest only)'}: ${describeZodIssues(parsed.error, INGEST_ISSUES)}`,
      {
        ref,
      },
    );
  }
  const meta = parsed.data;
  const segments = parseTranscriptBody(lines, fm?.bodyStart ?? 0, meta.duration);
  if (segments.length === 0) throw new InputError('the transcript section has no text', { ref });
  return {
    videoId: meta.youtube_id,
    title: meta.title.trim(),
    url: watchUrl(meta.youtube_id),
    published: meta.published,
    durationSec: meta.duration,
    source: 'corpus',
    segments,
  };
}

function parseTranscriptBody(lines: readonly string[], from: number, durationSec: number | null): Segment[] {
  const heading = lines.findIndex((l, i) => i >= from && /^##\s+Transcript\s*$/i.test(l.trim()));
  if (heading === -1) throw new InputError("no '## Transcript' heading");
  let stop = lines.findIndex((l, i) => i > heading && /^##\s/.test(l));
  if (stop === -1) stop = lines.length;

  const timed: TimedText[] = [];
  const paragraphs: string[] = [];
  let paragraph: string[] = [];
  let looseText: number | null = null;
  for (let i = heading + 1; i < stop; i++) {
    const line = lines[i]!.trim();
    if (line === '') {
      if (paragraph.length > 0) paragraphs.push(paragraph.join(' '));
      paragraph = [];
      continue;
    }
    if (line.startsWith('**[')) {
      const m = TIMESTAMP_LINE.exec(line);
      const start = m ? parseClock(m[1]!) : null;
      if (!m || start === null) {
        throw new InputError(
          `line ${i + 1}: bad timestamp, expected '**[H:MM:SS]** text', got '${line.slice(0, 60)}'`,
          {
            line: i + 1,
          },
        );
      }
      timed.push({ start, text: m[2]! });
    } else if (timed.length > 0) {
      // A wrapped line continues the segment above it.
      timed[timed.length - 1]!.text += ` ${line}`;
    } else {
      looseText ??= i + 1;
      paragraph.push(line);
    }
  }
  if (paragraph.length > 0) paragraphs.push(paragraph.join(' '));

  if (timed.length > 0) {
    if (looseText !== null) {
      throw new InputError(`line ${looseText}: text before the first '**[H:MM:SS]**' timestamp`, {
        line: looseText,
      });
    }
    return finaliseSegments(timed, durationSec);
  }
  return finaliseSegments(estimateTimes(paragraphs));
}

/**
 * Times untimestamped paragraphs from their word count, as one stream from 0 s. Paragraphs far
 * longer than a segment are cut at sentence ends (or, failing that, every N words) so that
 * chunking still gets pieces of about ESTIMATED_SEGMENT_SEC.
 */
export function estimateTimes(
  paragraphs: readonly string[],
  wordsPerSecond = ESTIMATED_WORDS_PER_SECOND,
): TimedText[] {
  const target = Math.round(ESTIMATED_SEGMENT_SEC * wordsPerSecond);
  const out: TimedText[] = [];
  let words = 0;
  for (const paragraph of paragraphs) {
    for (const piece of splitPiece(paragraph, target)) {
      const n = countWords(piece);
      if (n === 0) continue;
      out.push({ start: words / wordsPerSecond, end: (words + n) / wordsPerSecond, text: piece });
      words += n;
    }
  }
  return out;
}

function splitPiece(text: string, target: number): string[] {
  if (countWords(text) <= target * 1.5) return [text];
  const pieces: string[] = [];
  let current: string[] = [];
  let currentWords = 0;
  const flush = () => {
    if (current.length > 0) pieces.push(current.join(' '));
    current = [];
    currentWords = 0;
  };
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    const words = sentence.split(/\s+/).filter(Boolean);
    if (words.length > target * 1.5) {
      flush();
      for (let i = 0; i < words.length; i += target) pieces.push(words.slice(i, i + target).join(' '));
      continue;
    }
    if (currentWords > 0 && currentWords + words.length > target) flush();
    current.push(sentence);
    currentWords += words.length;
  }
  flush();
  return pieces;
}

/** Reads `manifest.json` (an array of entries keyed by slug) when present; null when absent. */
async function readManifest(dir: string): Promise<Map<string, CorpusMeta> | null> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const entries = z.array(corpusMetaSchema).parse(JSON.parse(text));
    return new Map(entries.filter((e) => e.slug).map((e) => [e.slug!, e]));
  } catch (err) {
    // The manifest is only a fallback for metadata: say so and go on with the files' own.
    logger.warn({ file, err: errorMessage(err) }, 'ignoring unreadable corpus manifest');
    return null;
  }
}

/**
 * Every `.md` file of a corpus directory, in name order, as one item each. `manifest.json`, when
 * present, fills metadata a file lacks (matched by slug = file name). Throws only when the
 * directory itself cannot be read.
 */
export async function* corpusSource(dir: string): AsyncGenerator<SourceItem> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new InputError(
      `cannot read corpus directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        dir,
      },
    );
  }
  const manifest = await readManifest(dir);
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.md')).sort()) {
    const file = path.join(dir, name);
    let item: SourceItem;
    try {
      const text = await readFile(file, 'utf8');
      const fallback = manifest?.get(name.slice(0, -3)) ?? {};
      item = { ref: file, ok: true, transcript: parseCorpusMarkdown(text, file, fallback) };
    } catch (err) {
      item = { ref: file, ok: false, error: `${name}: ${errorMessage(err)}` };
    }
    yield item;
  }
}

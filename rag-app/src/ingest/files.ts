import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, InputError } from '../errors.ts';
import type { Segment, SourceItem, SourceKind, Transcript } from '../types.ts';
import { watchUrl } from '../types.ts';
import { parseCorpusMarkdown } from './corpus.ts';
import { parseTranscriptJson } from './json.ts';
import { parseSrt } from './srt.ts';
import { parseVideoRef, videoIdFromFileName } from './video-ref.ts';
import { parseVtt } from './vtt.ts';

export interface FileSourceOptions {
  /** Video id (or URL) for the file; only with a single path. */
  videoId?: string;
  /** Title for the file; only with a single path. Defaults to the file's own, else its name. */
  title?: string;
}

const KINDS: Record<string, SourceKind> = { '.json': 'json', '.vtt': 'vtt', '.srt': 'srt', '.md': 'corpus' };

interface Parsed {
  segments: Segment[];
  videoId: string | null;
  title: string | null;
  published: string | null;
  durationSec: number | null;
}

function parseByKind(kind: SourceKind, text: string, file: string): Parsed {
  const none = { videoId: null, title: null, published: null, durationSec: null };
  switch (kind) {
    case 'json':
      return { ...parseTranscriptJson(text), durationSec: null };
    case 'vtt':
      return { ...none, segments: parseVtt(text) };
    case 'srt':
      return { ...none, segments: parseSrt(text) };
    default: {
      const t = parseCorpusMarkdown(text, file);
      return {
        segments: t.segments,
        videoId: t.videoId,
        title: t.title,
        published: t.published,
        durationSec: t.durationSec,
      };
    }
  }
}

/** Turns one file into a transcript; throws InputError saying what is wrong or missing. */
export async function readTranscriptFile(file: string, opts: FileSourceOptions = {}): Promise<Transcript> {
  const ext = path.extname(file).toLowerCase();
  const kind = KINDS[ext];
  if (!kind) {
    throw new InputError(`unsupported file type '${ext || '(none)'}': expected .json, .vtt, .srt or .md`, {
      file,
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, {
      file,
    });
  }
  const parsed = parseByKind(kind, text, file);
  const videoId = opts.videoId ? parseVideoRef(opts.videoId) : (parsed.videoId ?? videoIdFromFileName(file));
  if (!videoId) {
    throw new InputError(
      'no video id: pass one (--video-id <id>), add "videoId" to the JSON, or name the file <id>.' +
        `${ext.slice(1)} / <name>.<id>.${ext.slice(1)} (11 characters, e.g. dQw4w9WgXcQ)`,
      { file },
    );
  }
  if (parsed.segments.length === 0) throw new InputError('no transcript text (no non-empty cues)', { file });
  return {
    videoId,
    title: opts.title?.trim() || parsed.title || path.basename(file, path.extname(file)),
    url: watchUrl(videoId),
    published: parsed.published,
    durationSec: parsed.durationSec,
    source: kind,
    segments: parsed.segments,
  };
}

/**
 * Transcript files, parser picked by extension (.json, .vtt, .srt, .md). The video id comes from
 * the options, the file's own field, or its name. A bad file becomes a failed item; only misused
 * options (an id or title given for several files at once) throw.
 */
export async function* fileSource(
  paths: readonly string[],
  opts: FileSourceOptions = {},
): AsyncGenerator<SourceItem> {
  if (paths.length > 1 && (opts.videoId || opts.title)) {
    throw new InputError(
      'videoId and title apply to a single file; give one path, or name the files <id>.<ext>',
      {
        paths: paths.length,
      },
    );
  }
  if (opts.videoId) parseVideoRef(opts.videoId);
  for (const file of paths) {
    let item: SourceItem;
    try {
      item = { ref: file, ok: true, transcript: await readTranscriptFile(file, opts) };
    } catch (err) {
      item = { ref: file, ok: false, error: `${path.basename(file)}: ${errorMessage(err)}` };
    }
    yield item;
  }
}

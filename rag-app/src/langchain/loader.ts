import { stat } from 'node:fs/promises';
import { BaseDocumentLoader } from '@langchain/core/document_loaders/base';
import { Document } from '@langchain/core/documents';
import { InputError } from '../errors.ts';
import { chunkSegments } from '../ingest/chunk.ts';
import { corpusSource, readTranscriptFile } from '../ingest/sources.ts';
import { deepLink, type Transcript } from '../types.ts';

/** How a transcript becomes documents: whole, one per timed segment, or rag-app's ~60 s windows. */
export type TranscriptSplit = 'video' | 'segment' | 'window';

export interface TranscriptMetadata {
  videoId: string;
  title: string;
  published: string | null;
  source: Transcript['source'];
  /** The document's span in the video, seconds. */
  start: number;
  end: number;
  /** Deep link to `start`. */
  url: string;
}

export interface TranscriptLoaderInput {
  /** Transcript files (.json, .vtt, .srt, corpus .md) and corpus directories. */
  paths: readonly string[];
  split?: TranscriptSplit;
}

function documents(t: Transcript, split: TranscriptSplit): Document<TranscriptMetadata>[] {
  const meta = (start: number, end: number): TranscriptMetadata => ({
    videoId: t.videoId,
    title: t.title,
    published: t.published,
    source: t.source,
    start: Math.floor(start),
    end: Math.ceil(end),
    url: deepLink(t.videoId, Math.floor(start)),
  });
  const doc = (text: string, start: number, end: number) =>
    new Document<TranscriptMetadata>({
      id: `${t.videoId}@${Math.floor(start)}`,
      pageContent: text,
      metadata: meta(start, end),
    });
  if (split === 'segment') return t.segments.map((s) => doc(s.text, s.start, s.end));
  if (split === 'window') return chunkSegments(t.videoId, t.segments).map((c) => doc(c.text, c.start, c.end));
  const last = t.segments.at(-1);
  return [doc(t.segments.map((s) => s.text).join(' '), t.segments[0]?.start ?? 0, last?.end ?? 0)];
}

/**
 * Loads transcripts with rag-app's own parsers (JSON, WebVTT, SRT, the corpus Markdown format and
 * corpus directories), so every document keeps its video, title, span and deep link. A file that
 * cannot be read or parsed fails the load with an InputError naming it.
 */
export class TranscriptLoader extends BaseDocumentLoader {
  private readonly paths: readonly string[];
  private readonly split: TranscriptSplit;

  constructor(input: TranscriptLoaderInput) {
    super();
    if (input.paths.length === 0) throw new InputError('TranscriptLoader needs at least one path');
    this.paths = input.paths;
    this.split = input.split ?? 'video';
  }

  async load(): Promise<Document<TranscriptMetadata>[]> {
    const out: Document<TranscriptMetadata>[] = [];
    for (const p of this.paths) {
      for (const t of await transcriptsAt(p)) out.push(...documents(t, this.split));
    }
    return out;
  }
}

async function transcriptsAt(p: string): Promise<Transcript[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(p)).isDirectory();
  } catch (err) {
    throw new InputError(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? err}`, { path: p });
  }
  if (!isDir) return [await readTranscriptFile(p)];
  const out: Transcript[] = [];
  for await (const item of corpusSource(p)) {
    if (!item.ok) throw new InputError(`${item.ref}: ${item.error}`, { path: p, ref: item.ref });
    out.push(item.transcript);
  }
  return out;
}

import { createHash } from 'node:crypto';
import type { Embedder } from '../embed/embedder.ts';
import { errorMessage } from '../errors.ts';
import type { IndexedChunk } from '../store/chunks.ts';
import { replaceChunks } from '../store/chunks.ts';
import type { Db } from '../store/db.ts';
import { bumpCorpusVersion, getContentHash, upsertVideo } from '../store/videos.ts';
import { TOKENIZER_VERSION, termFrequencies, terms } from '../text/tokenize.ts';
import type { IngestItemResult, IngestSummary, SourceItem, Transcript } from '../types.ts';
import { type ChunkOptions, chunkSegments, DEFAULT_CHUNK_OPTIONS } from './chunk.ts';

export interface IngestDeps {
  db: Db;
  embedder: Embedder | null;
  chunkOptions?: ChunkOptions;
}

export interface PipelineOptions {
  onItem?: (result: IngestItemResult, done: number) => void;
  onStage?: (message: string) => void;
}

/** Hash of everything that ends up in the store, so an unchanged video is skipped. */
export function contentHash(t: Transcript, chunkOptions: ChunkOptions): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([TOKENIZER_VERSION, t.title, t.url, t.published, t.durationSec, t.source, chunkOptions]),
  );
  for (const s of t.segments) h.update(`${s.start}|${s.end}|${s.text}\n`);
  return h.digest('hex');
}

export function indexChunks(t: Transcript, chunkOptions: ChunkOptions): IndexedChunk[] {
  const titleTerms = terms(t.title);
  return chunkSegments(t.videoId, t.segments, chunkOptions).map((c) => {
    const tokens = terms(c.text);
    for (let i = 0; i < chunkOptions.titleTermWeight; i++) tokens.push(...titleTerms);
    return { ...c, termFreqs: termFrequencies(tokens), tokenCount: tokens.length, embedding: null };
  });
}

/**
 * Ingests items one by one. Each video is written in one transaction (a reader never sees half a
 * video); a failing item is recorded with its reason and the rest go on.
 */
export async function ingestItems(
  deps: IngestDeps,
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  options: PipelineOptions = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const chunkOptions = deps.chunkOptions ?? DEFAULT_CHUNK_OPTIONS;
  const results: IngestItemResult[] = [];
  const record = (r: IngestItemResult) => {
    results.push(r);
    options.onItem?.(r, results.length);
  };
  for await (const item of items) {
    if (!item.ok) {
      record({ ref: item.ref, videoId: null, status: 'failed', chunks: 0, reason: item.error });
      continue;
    }
    try {
      record(await ingestTranscript(deps, item.ref, item.transcript, chunkOptions));
    } catch (err) {
      record({
        ref: item.ref,
        videoId: item.transcript.videoId,
        status: 'failed',
        chunks: 0,
        reason: errorMessage(err),
      });
    }
  }
  const changed = results.some((r) => r.status === 'added' || r.status === 'updated');
  if (changed && deps.embedder?.afterIngest) await deps.embedder.afterIngest(deps.db, options.onStage);
  const count = (s: IngestItemResult['status']) => results.filter((r) => r.status === s).length;
  return {
    added: count('added'),
    updated: count('updated'),
    skipped: count('skipped'),
    failed: count('failed'),
    chunks: results.reduce((n, r) => n + (r.status === 'added' || r.status === 'updated' ? r.chunks : 0), 0),
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    items: results,
  };
}

async function ingestTranscript(
  deps: IngestDeps,
  ref: string,
  transcript: Transcript,
  chunkOptions: ChunkOptions,
): Promise<IngestItemResult> {
  const base = { ref, videoId: transcript.videoId };
  if (transcript.segments.length === 0) {
    return { ...base, status: 'failed', chunks: 0, reason: 'the transcript has no text segments' };
  }
  const hash = contentHash(transcript, chunkOptions);
  const previous = await getContentHash(deps.db, transcript.videoId);
  if (previous === hash) return { ...base, status: 'skipped', chunks: 0 };
  const chunks = indexChunks(transcript, chunkOptions);
  const vectors = deps.embedder ? await deps.embedder.embedChunks(chunks) : [];
  chunks.forEach((c, i) => {
    c.embedding = vectors[i] ?? null;
  });
  const { segments, ...meta } = transcript;
  await deps.db.transaction(async (tx) => {
    await upsertVideo(tx, meta, hash, segments);
    await replaceChunks(tx, transcript.videoId, chunks);
    await bumpCorpusVersion(tx);
  });
  return { ...base, status: previous === null ? 'added' : 'updated', chunks: chunks.length };
}

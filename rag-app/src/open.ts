import type { Answerer } from './answer/answerer.ts';
import {
  createAnswerer,
  type EvidenceSources,
  gatherEvidence,
  judgeEvidence,
  refusalOutput,
} from './answer/index.ts';
import type { Config } from './config.ts';
import type { Embedder } from './embed/embedder.ts';
import { createEmbedder } from './embed/index.ts';
import { clearVectors } from './embed/space.ts';
import { InputError } from './errors.ts';
import type { ChunkOptions } from './ingest/chunk.ts';
import { ingestItems } from './ingest/pipeline.ts';
import type { Rag, VideoRecord } from './rag.ts';
import { bm25IndexFor } from './retrieve/bm25-index.ts';
import { DEFAULT_RETRIEVAL, hybridSearch, type RetrievalSettings } from './retrieve/search.ts';
import { countChunks } from './store/chunks.ts';
import { type Db, openDb } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import * as videos from './store/videos.ts';
import { type AskOptions, type AskResult, deepLink, type SearchHit, type SearchOptions } from './types.ts';

export interface RagDeps {
  db?: Db;
  embedder?: Embedder | null;
  answerer?: Answerer;
  retrieval?: Partial<RetrievalSettings>;
  chunkOptions?: ChunkOptions;
}

export const MAX_QUERY_CHARS = 2000;
const MAX_K = 50;

/** Opens the store (migrating it), picks the embedder and answerer from config, and returns the app. */
export async function openRag(config: Config, deps: RagDeps = {}): Promise<Rag> {
  const db = deps.db ?? (await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.pgliteDir }));
  await migrate(db);
  const embedder = deps.embedder === undefined ? await createEmbedder(config, db) : deps.embedder;
  const answerer = deps.answerer ?? createAnswerer(config);
  const retrieval = { ...DEFAULT_RETRIEVAL, vectorWeight: config.VECTOR_WEIGHT, ...deps.retrieval };

  const search = async (query: string, options: SearchOptions = {}) => {
    checkQuery(query, options);
    return hybridSearch(db, embedder, query, options, retrieval);
  };

  const toRecord = (row: videos.VideoRow): VideoRecord => ({
    ...videos.toVideoMeta(row),
    chunks: Number(row.chunks ?? 0),
    contentHash: row.content_hash,
    ingestedAt: videos.isoTime(row.ingested_at),
    updatedAt: videos.isoTime(row.updated_at),
  });

  // Titles change only with the corpus, whose every change rebuilds the BM25 index.
  let titles: { index: object; list: Promise<{ videoId: string; title: string }[]> } | null = null;
  const videoTitles = (index: object) => {
    if (titles?.index !== index) {
      const list = videos
        .listVideos(db, { limit: 100_000, offset: 0 })
        .then((page) => page.rows.map((r) => ({ videoId: r.video_id, title: r.title })));
      titles = { index, list };
    }
    return titles.list;
  };
  const evidenceSources = (question: string, index: object): EvidenceSources => ({
    searchVideo: (videoId, k) => search(question, { videoId, k }),
    titles: () => videoTitles(index),
    opening: async (videoId) => {
      const row = await videos.getVideo(db, videoId);
      return row ? openingHit(videos.toVideoMeta(row), row.segments ?? []) : null;
    },
  });

  return {
    db,
    config,
    search,
    async ask(question: string, options: AskOptions = {}): Promise<AskResult> {
      const t0 = performance.now();
      const hits = await search(question, { ...options, k: options.k ?? 8 });
      const index = await bm25IndexFor(db);
      // A caller's filters (one video, a date range) bound the search; the answer reads no further.
      const evidence = hasFilters(options)
        ? hits
        : await gatherEvidence(question, hits, evidenceSources(question, index), index);
      const verdict = judgeEvidence(question, evidence, index);
      const t1 = performance.now();
      const retrieveMs = Math.round(t1 - t0);
      if (!verdict.support.answer) {
        const out = refusalOutput(verdict);
        options.onToken?.(out.answer);
        return { ...out, timings: { retrieveMs, answerMs: 0 } };
      }
      const out = await answerer.answer(question, evidence, {
        verdict,
        ...(options.onToken ? { onToken: options.onToken } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const t2 = performance.now();
      return {
        answer: out.answer,
        refused: out.refused,
        citations: out.citations,
        timings: { retrieveMs, answerMs: Math.round(t2 - t1) },
        ...(out.usage ? { usage: out.usage } : {}),
      };
    },
    ingest: (items, options = {}) =>
      ingestItems(
        { db, embedder, ...(deps.chunkOptions ? { chunkOptions: deps.chunkOptions } : {}) },
        items,
        {
          ...(options.onItem ? { onItem: options.onItem } : {}),
        },
      ),
    async reindex(onProgress) {
      await clearVectors(db);
      if (embedder?.afterIngest) await embedder.afterIngest(db, onProgress);
      return { chunks: await countChunks(db), provider: embedder?.provider ?? null };
    },
    async removeVideo(videoId: string) {
      const removed = await db.transaction(async (tx) => {
        const gone = await videos.deleteVideo(tx, videoId);
        if (gone) await videos.bumpCorpusVersion(tx);
        return gone;
      });
      if (removed && embedder?.afterIngest) await embedder.afterIngest(db);
      return removed;
    },
    async listVideos(options = {}) {
      const page = await videos.listVideos(db, {
        ...(options.q ? { q: options.q } : {}),
        limit: Math.min(Math.max(options.limit ?? 50, 1), 500),
        offset: Math.max(options.offset ?? 0, 0),
      });
      return { total: page.total, videos: page.rows.map(toRecord) };
    },
    async getVideo(videoId: string) {
      const row = await videos.getVideo(db, videoId);
      return row ? { ...toRecord(row), segments: row.segments ?? [] } : null;
    },
    async stats() {
      const n = await db.query<{ n: string }>('SELECT count(*) AS n FROM videos');
      return { videos: Number(n.rows[0]?.n ?? 0), chunks: await countChunks(db) };
    },
    close: () => db.close(),
  };
}

function hasFilters(options: SearchOptions): boolean {
  return Boolean(options.videoId || options.publishedAfter || options.publishedBefore);
}

/** How much of a video's start counts as its opening (about one chunk). */
const OPENING_SECONDS = 75;

/** A video's first moments as a passage, cited at its first second. */
function openingHit(
  meta: { videoId: string; title: string; published: string | null },
  segments: readonly { start: number; end: number; text: string }[],
): SearchHit | null {
  const first = segments[0];
  if (!first) return null;
  const opening = segments.filter((s) => s.start < first.start + OPENING_SECONDS);
  const last = opening[opening.length - 1]!;
  return {
    videoId: meta.videoId,
    title: meta.title,
    published: meta.published,
    start: first.start,
    end: last.end,
    citeStart: first.start,
    url: deepLink(meta.videoId, first.start),
    text: opening.map((s) => s.text).join(' '),
    segments: opening.map((s) => ({ start: s.start, end: s.end, text: s.text })),
    score: 0,
    scores: { vectorRank: null, lexicalRank: null, vector: null, lexical: null },
  };
}

function checkQuery(query: string, options: SearchOptions): void {
  if (typeof query !== 'string' || query.trim().length === 0) throw new InputError('the question is empty');
  if (query.length > MAX_QUERY_CHARS) {
    throw new InputError(`the question is too long (${query.length} characters, at most ${MAX_QUERY_CHARS})`);
  }
  if (options.k !== undefined && (!Number.isInteger(options.k) || options.k < 1 || options.k > MAX_K)) {
    throw new InputError(`k must be an integer from 1 to ${MAX_K}, got ${options.k}`);
  }
}

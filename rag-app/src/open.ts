import type { Answerer } from './answer/answerer.ts';
import { createAnswerer } from './answer/index.ts';
import { REFUSAL_ANSWER } from './answer/refusal.ts';
import type { Config } from './config.ts';
import type { Embedder } from './embed/embedder.ts';
import { createEmbedder } from './embed/index.ts';
import { clearVectors } from './embed/space.ts';
import { InputError } from './errors.ts';
import type { ChunkOptions } from './ingest/chunk.ts';
import { ingestItems } from './ingest/pipeline.ts';
import type { Rag, VideoRecord } from './rag.ts';
import { bm25IndexFor } from './retrieve/bm25-index.ts';
import { corpusCoverage, MIN_KNOWN_SHARE } from './retrieve/coverage.ts';
import { DEFAULT_RETRIEVAL, hybridSearch, type RetrievalSettings } from './retrieve/search.ts';
import { countChunks } from './store/chunks.ts';
import { type Db, openDb } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import * as videos from './store/videos.ts';
import type { AskOptions, AskResult, SearchOptions } from './types.ts';

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

  return {
    db,
    config,
    search,
    async ask(question: string, options: AskOptions = {}): Promise<AskResult> {
      const t0 = performance.now();
      const hits = await search(question, { ...options, k: options.k ?? 8 });
      const coverage = corpusCoverage(await bm25IndexFor(db), question);
      const t1 = performance.now();
      if (coverage.knownShare < MIN_KNOWN_SHARE) {
        // The question's subject never occurs in the videos: refuse without asking any model.
        options.onToken?.(REFUSAL_ANSWER);
        return {
          answer: REFUSAL_ANSWER,
          refused: true,
          citations: [],
          timings: { retrieveMs: Math.round(t1 - t0), answerMs: 0 },
        };
      }
      const out = await answerer.answer(question, hits, {
        ...(options.onToken ? { onToken: options.onToken } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const t2 = performance.now();
      return {
        answer: out.answer,
        refused: out.refused,
        citations: out.citations,
        timings: { retrieveMs: Math.round(t1 - t0), answerMs: Math.round(t2 - t1) },
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

function checkQuery(query: string, options: SearchOptions): void {
  if (typeof query !== 'string' || query.trim().length === 0) throw new InputError('the question is empty');
  if (query.length > MAX_QUERY_CHARS) {
    throw new InputError(`the question is too long (${query.length} characters, at most ${MAX_QUERY_CHARS})`);
  }
  if (options.k !== undefined && (!Number.isInteger(options.k) || options.k < 1 || options.k > MAX_K)) {
    throw new InputError(`k must be an integer from 1 to ${MAX_K}, got ${options.k}`);
  }
}

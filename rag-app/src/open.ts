import type { Answerer } from './answer/answerer.ts';
import { createAsk } from './answer/ask.ts';
import { createAnswerer } from './answer/index.ts';
import type { Config } from './config.ts';
import type { Embedder } from './embed/embedder.ts';
import { createEmbedder } from './embed/index.ts';
import { clearVectors } from './embed/space.ts';
import { RagError } from './errors.ts';
import type { ChunkOptions } from './ingest/chunk.ts';
import { ingestItems } from './ingest/pipeline.ts';
import type { Rag, VideoRecord } from './rag.ts';
import { lexicalRankerFor } from './retrieve/bm25-index.ts';
import { DEFAULT_RETRIEVAL, hybridSearch, type RetrievalSettings } from './retrieve/search.ts';
import { countChunks } from './store/chunks.ts';
import { type Db, openDb } from './store/db.ts';
import { initdbCacheSetting } from './store/initdb-cache.ts';
import { migrate } from './store/migrate.ts';
import { countVideos } from './store/stats.ts';
import * as videos from './store/videos.ts';
import type { SearchOptions } from './types.ts';

export interface RagDeps {
  db?: Db;
  embedder?: Embedder | null;
  answerer?: Answerer;
  retrieval?: Partial<RetrievalSettings>;
  chunkOptions?: ChunkOptions;
}

/** Opens the store (migrating it), picks the embedder and answerer from config, and returns the app. */
export async function openRag(config: Config, deps: RagDeps = {}): Promise<Rag> {
  const db =
    deps.db ??
    (await openDb({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.pgliteDir,
      initdbCache: initdbCacheSetting(config.PGLITE_INITDB_CACHE),
    }));
  await migrate(db);
  const embedder = deps.embedder === undefined ? await createEmbedder(config, db) : deps.embedder;
  const answerer = deps.answerer ?? createAnswerer(config);
  const retrieval = { ...DEFAULT_RETRIEVAL, vectorWeight: config.VECTOR_WEIGHT, ...deps.retrieval };

  // A filter on a video the store does not hold is a mistake to name, not a search that finds nothing.
  const checkVideo = async (options: SearchOptions) => {
    if (options.videoId && (await videos.getContentHash(db, options.videoId)) === null) {
      throw new RagError('not_found', `no video ${options.videoId} in the store`, {
        videoId: options.videoId,
      });
    }
  };
  const search = async (query: string, options: SearchOptions = {}) => {
    await checkVideo(options);
    return hybridSearch(db, embedder, query, options, retrieval);
  };
  // The answer quotes the windows that matched best: the window where a match began is for a
  // reader jumping to a moment, and in the evidence it holds less of what the answer picks (dev
  // answerability: citationMomentAccuracy 0.448 → 0.419, factRecall 0.625 → 0.583 with it).
  // Nor does the evidence take the bonus for query words side by side: it finds described moments
  // (key-moment dev hit@1 0.763 → 0.773), but a question's words are not a moment's, and the answers
  // read from it cite key moments less (fresh citationMomentAccuracy 0.512 → 0.488, mean of 11
  // near-tie orders) and one dev question lost its evidence (refused).
  const answerRetrieval = { ...retrieval, momentStartRatio: 0, proximity: undefined };
  const evidenceSearch = (query: string, options: SearchOptions = {}) =>
    hybridSearch(db, embedder, query, options, answerRetrieval);

  const toRecord = (row: videos.VideoRow): VideoRecord => ({
    ...videos.toVideoMeta(row),
    chunks: Number(row.chunks ?? 0),
    contentHash: row.content_hash,
    ingestedAt: videos.isoTime(row.ingested_at),
    updatedAt: videos.isoTime(row.updated_at),
  });

  const ask = createAsk({
    search: evidenceSearch,
    answerer,
    corpusStats: () => lexicalRankerFor(db, retrieval.maxInMemoryChunks),
    videoTitles: async () =>
      (await videos.listVideos(db, { limit: 100_000, offset: 0 })).rows.map((r) => ({
        videoId: r.video_id,
        title: r.title,
      })),
    video: async (videoId) => {
      const row = await videos.getVideo(db, videoId);
      return row ? { meta: videos.toVideoMeta(row), segments: row.segments ?? [] } : null;
    },
  });

  return {
    db,
    config,
    search,
    async ask(question, options = {}) {
      await checkVideo(options);
      return ask(question, options);
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
      return { videos: await countVideos(db), chunks: await countChunks(db) };
    },
    close: () => db.close(),
  };
}

// Public API of @dark-factory/rag-app. Other packages import only from here.

export {
  type Answerer,
  createAnswerer,
  DEFAULT_EXTRACTIVE,
  ExtractiveAnswerer,
  type ExtractiveSettings,
} from './answer/index.ts';
export { type Config, loadConfig } from './config.ts';
export * from './errors.ts';
export { type ChunkOptions, DEFAULT_CHUNK_OPTIONS } from './ingest/chunk.ts';
export { corpusSource, fileSource, parseVideoRef, youtubeSource } from './ingest/sources.ts';
export { openRag, type RagDeps } from './open.ts';
export type { IngestOptions, Rag, VideoDetail, VideoPage, VideoRecord } from './rag.ts';
export { DEFAULT_RETRIEVAL, type RetrievalSettings } from './retrieve/search.ts';
export { type Db, openDb, type Queryable } from './store/db.ts';
export { migrate } from './store/migrate.ts';
export * from './types.ts';

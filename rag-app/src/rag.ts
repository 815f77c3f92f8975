import type { Config } from './config.ts';
import type { Db } from './store/db.ts';
import type {
  AskOptions,
  AskResult,
  IngestItemResult,
  IngestSummary,
  SearchHit,
  SearchOptions,
  Segment,
  SourceItem,
  VideoMeta,
} from './types.ts';

export interface VideoRecord extends VideoMeta {
  chunks: number;
  contentHash: string;
  ingestedAt: string;
  updatedAt: string;
}

export interface VideoDetail extends VideoRecord {
  segments: Segment[];
}

export interface VideoPage {
  total: number;
  videos: VideoRecord[];
}

export interface IngestOptions {
  /** Called after each item, for progress output. */
  onItem?: (result: IngestItemResult, done: number) => void;
  /** Total items when known, for progress bars. */
  total?: number;
}

/** The rag-app as a library: what the CLI, the HTTP server and the evals call. */
export interface Rag {
  readonly db: Db;
  readonly config: Config;
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;
  ask(question: string, options?: AskOptions): Promise<AskResult>;
  ingest(
    items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
    options?: IngestOptions,
  ): Promise<IngestSummary>;
  removeVideo(videoId: string): Promise<boolean>;
  /** Drops every stored vector and embeds the whole store again with the configured embedder. */
  reindex(onProgress?: (message: string) => void): Promise<{ chunks: number; provider: string | null }>;
  listVideos(options?: { q?: string; limit?: number; offset?: number }): Promise<VideoPage>;
  getVideo(videoId: string): Promise<VideoDetail | null>;
  stats(): Promise<{ videos: number; chunks: number }>;
  close(): Promise<void>;
}

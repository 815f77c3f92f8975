/**
 * Public data shapes shared by rag-app, evals and the factory. One place, imported by the others
 * through `@dark-factory/rag-app`.
 */

/** A stretch of transcript. Times are seconds from the start of the video. */
export interface Segment {
  start: number;
  end: number;
  text: string;
}

export const SOURCE_KINDS = ['youtube', 'json', 'vtt', 'srt', 'corpus'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface VideoMeta {
  videoId: string;
  title: string;
  /** Canonical watch url, e.g. https://www.youtube.com/watch?v=ID */
  url: string;
  /** ISO date (YYYY-MM-DD) when known. */
  published: string | null;
  durationSec: number | null;
  source: SourceKind;
}

export interface Transcript extends VideoMeta {
  segments: Segment[];
}

/** One item a source produced: a transcript, or the reason it could not. */
export type SourceItem =
  | { ref: string; ok: true; transcript: Transcript }
  | { ref: string; ok: false; error: string };

export interface Chunk {
  videoId: string;
  ordinal: number;
  start: number;
  end: number;
  text: string;
  /** The whole segments the chunk is made of, kept for citing the exact second. */
  segments: Segment[];
}

export interface SearchOptions {
  k?: number;
  videoId?: string;
  /** ISO dates, inclusive. */
  publishedAfter?: string;
  publishedBefore?: string;
}

export interface SearchHit {
  videoId: string;
  title: string;
  published: string | null;
  /** Chunk span, seconds. */
  start: number;
  end: number;
  /** The second the best-matching sentence starts: what the deep link points at. */
  citeStart: number;
  /** https://youtu.be/ID?t=citeStart */
  url: string;
  text: string;
  segments: Segment[];
  /** Fused score (higher is better). */
  score: number;
  scores: {
    vectorRank: number | null;
    lexicalRank: number | null;
    vector: number | null;
    lexical: number | null;
  };
}

export interface Citation {
  videoId: string;
  title: string;
  start: number;
  end: number;
  url: string;
  text: string;
}

export interface AskTimings {
  retrieveMs: number;
  answerMs: number;
}

/** The answer JSON: a public contract (`pnpm rag ask --json`, `POST /api/ask`). */
export interface AskResult {
  answer: string;
  refused: boolean;
  citations: Citation[];
  timings: AskTimings;
  usage?: { inputTokens: number; outputTokens: number; model: string } | undefined;
}

export interface AskOptions extends SearchOptions {
  /** Called with each piece of answer text as it is produced (streaming). */
  onToken?: (text: string) => void;
  signal?: AbortSignal;
}

export type IngestStatus = 'added' | 'updated' | 'skipped' | 'failed';

export interface IngestItemResult {
  ref: string;
  videoId: string | null;
  status: IngestStatus;
  chunks: number;
  reason?: string;
}

export interface IngestSummary {
  added: number;
  updated: number;
  skipped: number;
  failed: number;
  chunks: number;
  seconds: number;
  items: IngestItemResult[];
}

export function deepLink(videoId: string, second: number): string {
  return `https://youtu.be/${videoId}?t=${Math.max(0, Math.floor(second))}`;
}

export function watchUrl(videoId: string): string {
  return `https://www.youtube.com/watch?v=${videoId}`;
}

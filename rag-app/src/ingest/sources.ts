// Public face of the ingestion sources: every way to turn input into SourceItems.
export {
  type CorpusMeta,
  corpusSource,
  ESTIMATED_WORDS_PER_SECOND,
  estimateTimes,
  parseCorpusMarkdown,
} from './corpus.ts';
export { type FileSourceOptions, fileSource, readTranscriptFile } from './files.ts';
export {
  detectTimeUnit,
  type ParsedJsonTranscript,
  parseTranscriptJson,
  type TimedItem,
  type TimeUnit,
  timedItemsToSegments,
} from './json.ts';
export { listPlaylistVideoIds, playlistPageUrl } from './playlist.ts';
export { finaliseSegments, parseClock } from './segments.ts';
export { parseSrt } from './srt.ts';
export {
  isVideoId,
  parseVideoList,
  parseVideoRef,
  readVideoList,
  VIDEO_ID_RE,
  videoIdFromFileName,
} from './video-ref.ts';
export { parseVtt } from './vtt.ts';
export {
  describeYoutubeError,
  fetchYoutubeTranscript,
  type YoutubeSourceOptions,
  youtubeSource,
} from './youtube.ts';
export type { FetchFn } from './youtube-page.ts';

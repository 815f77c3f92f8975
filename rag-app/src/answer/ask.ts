import { type TermStatsSource, termStatsFor } from '../retrieve/term-stats.ts';
import { type AskOptions, type AskResult, deepLink, type SearchHit, type SearchOptions } from '../types.ts';
import type { Answerer } from './answerer.ts';
import { judgeEvidence, refusalOutput } from './decide.ts';
import { type EvidenceSources, gatherEvidence } from './evidence.ts';
import { analyseQuestion, subjectText } from './question.ts';

/** What answering a question reads from; open.ts wires these to the store and the retriever. */
export interface AskDeps {
  search(query: string, options: SearchOptions): Promise<SearchHit[]>;
  /**
   * The corpus's term statistics (a new object whenever the corpus changes): the in-memory BM25
   * index or the store's SQL, by corpus size; `ask` fetches only what one question needs.
   */
  corpusStats(): Promise<TermStatsSource>;
  /** Every video's id and title. */
  videoTitles(): Promise<{ videoId: string; title: string }[]>;
  /** One video's metadata and segments; null when it is not in the store. */
  video(videoId: string): Promise<{
    meta: { videoId: string; title: string; published: string | null };
    segments: readonly { start: number; end: number; text: string }[];
  } | null>;
  answerer: Answerer;
}

/**
 * `rag.ask`: searches (k = 8), reads further into the videos the search points at, judges whether
 * the evidence supports an answer, and either refuses or has the answerer write one (which may read
 * on in a video's transcript where a passage stops mid-thought: `readOn`).
 */
export function createAsk(deps: AskDeps): (question: string, options?: AskOptions) => Promise<AskResult> {
  // Titles change only with the corpus, whose every change gives a new statistics source.
  let titles: { corpus: object; list: Promise<{ videoId: string; title: string }[]> } | null = null;
  const videoTitles = (corpus: object) => {
    if (titles?.corpus !== corpus) titles = { corpus, list: deps.videoTitles() };
    return titles.list;
  };
  const evidenceSources = (question: string, corpus: object, video: AskDeps['video']): EvidenceSources => ({
    searchVideo: (videoId, k) => deps.search(subjectText(question), { videoId, k }),
    titles: () => videoTitles(corpus),
    opening: async (videoId) => {
      const v = await video(videoId);
      return v ? openingHit(v.meta, v.segments) : null;
    },
  });

  return async (question, options = {}) => {
    const t0 = performance.now();
    // One read of a video per question: its opening and the lead's reading on may need the same one.
    const read = new Map<string, ReturnType<AskDeps['video']>>();
    const video: AskDeps['video'] = (videoId) => {
      const held = read.get(videoId) ?? deps.video(videoId);
      read.set(videoId, held);
      return held;
    };
    const hits = await deps.search(subjectText(question), { ...options, k: options.k ?? 8 });
    const corpus = await deps.corpusStats();
    const stats = await termStatsFor(corpus, analyseQuestion(question).subject);
    // A caller's filters (one video, a date range) bound the search; the answer reads no further.
    const evidence = hasFilters(options)
      ? hits
      : await gatherEvidence(question, hits, evidenceSources(question, corpus, video), stats);
    const verdict = judgeEvidence(question, evidence, stats);
    const t1 = performance.now();
    const retrieveMs = Math.round(t1 - t0);
    if (!verdict.support.answer) {
      const out = refusalOutput(verdict);
      options.onToken?.(out.answer);
      return { ...out, timings: { retrieveMs, answerMs: 0 } };
    }
    const out = await deps.answerer.answer(question, evidence, {
      verdict,
      readOn: async (videoId, from, seconds) => {
        const v = await video(videoId);
        return v ? spanHit(v.meta, v.segments, from, seconds) : null;
      },
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
  };
}

function hasFilters(options: SearchOptions): boolean {
  return Boolean(options.videoId || options.publishedAfter || options.publishedBefore);
}

/** How much of a video's start counts as its opening (about one chunk). */
const OPENING_SECONDS = 75;

/** A video's first moments as a passage, cited at its first second. */
export function openingHit(
  meta: { videoId: string; title: string; published: string | null },
  segments: readonly { start: number; end: number; text: string }[],
): SearchHit | null {
  const first = segments[0];
  return first ? spanHit(meta, segments, first.start, OPENING_SECONDS) : null;
}

/** The segments said from second `from` (a segment under way then included) for `seconds`, as a passage cited at its start. */
export function spanHit(
  meta: { videoId: string; title: string; published: string | null },
  segments: readonly { start: number; end: number; text: string }[],
  from: number,
  seconds: number,
): SearchHit | null {
  const span = segments.filter((s) => s.end > from && s.start < from + seconds);
  const first = span[0];
  if (!first) return null;
  const last = span[span.length - 1]!;
  return {
    videoId: meta.videoId,
    title: meta.title,
    published: meta.published,
    start: first.start,
    end: last.end,
    citeStart: first.start,
    url: deepLink(meta.videoId, first.start),
    text: span.map((s) => s.text).join(' '),
    segments: span.map((s) => ({ start: s.start, end: s.end, text: s.text })),
    score: 0,
    scores: { vectorRank: null, lexicalRank: null, vector: null, lexical: null },
  };
}

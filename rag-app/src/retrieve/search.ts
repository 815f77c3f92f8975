import type { Embedder } from '../embed/embedder.ts';
import { type ChunkWithVideo, chunksWithVideo } from '../store/chunks.ts';
import type { Db, Queryable } from '../store/db.ts';
import { precedingSegments } from '../store/passages.ts';
import { isoDate } from '../store/videos.ts';
import { deepLink, type SearchHit, type SearchOptions, type Segment } from '../types.ts';
import { IN_MEMORY_MAX_CHUNKS, lexicalRankerFor } from './bm25-index.ts';
import { filterClause } from './filters.ts';
import { tsRankSearch } from './lexical.ts';
import { localize } from './localize.ts';
import { checkQuery } from './query.ts';
import { reciprocalRankFusion } from './rrf.ts';
import { vectorSearch } from './vector.ts';

export interface RetrievalSettings {
  /** Candidates taken from each side before fusion. */
  candidates: number;
  lexical: 'bm25' | 'tsrank';
  lexicalWeight: number;
  vectorWeight: number;
  /** At most this many chunks of one video in the results (diversity for multi-video questions). */
  maxPerVideo: number;
  /** Skip a chunk whose span overlaps an already chosen chunk of its video by more than this share. */
  maxOverlap: number;
  /** After this many results, only chunks of videos not yet listed (more videos for broad questions). */
  newVideosAfter: number;
  /**
   * Seconds before a window that its hit shows as lead-in (the previous window's segments there):
   * the span and text grow, the link stays where the window matched. 0 or unset: the window alone.
   */
  leadInSeconds?: number;
  /** Up to this many chunks BM25 ranks in memory, above it in SQL (bm25-index.ts). */
  maxInMemoryChunks?: number;
  /**
   * Opt-in variants, unset in the app: the evals' slight mutants and neutral controls set them to
   * measure how small a change the gate can see (evals/src/variants.ts).
   */
  variant?: RetrievalVariant;
}

export interface RetrievalVariant {
  /** BM25 parameters and query respelling instead of lexical.ts's BM25. */
  bm25?: { k1: number; b: number; respell: boolean };
  /** Localisation lookahead weights instead of localize.ts's LOOKAHEAD. */
  lookahead?: readonly number[];
  /** Chunks never returned: a seeded share of the store, as if never ingested. */
  withhold?: { share: number; seed: number };
  /** Lexical scores times 1 ± amount/2, seeded per chunk: reorders near-ties only. */
  jitter?: { amount: number; seed: number };
}

/** A seeded value in [0, 1) per chunk id (FNV-1a): stable across processes and runs. */
export function chunkHash(seed: number, id: number): number {
  let h = 2166136261 ^ seed;
  for (const c of `${id}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

function applyVariant<T extends { id: number; score: number }>(
  hits: T[],
  v: RetrievalVariant | undefined,
): T[] {
  if (!v?.withhold && !v?.jitter) return hits;
  const { withhold, jitter } = v;
  let out = withhold ? hits.filter((h) => chunkHash(withhold.seed, h.id) >= withhold.share) : hits;
  if (jitter) {
    out = out
      .map((h) => ({ ...h, score: h.score * (1 + jitter.amount * (chunkHash(jitter.seed, h.id) - 0.5)) }))
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }
  return out;
}

/**
 * A hit shows up to this many seconds before its window (the previous window's segments there).
 * Key-moment dev set, split by video, hit@5 ±30 s without / 20 / 30 / 45 s: 0.897 / 0.911 / 0.913
 * / 0.916 and 0.899 / 0.922 / 0.922 / 0.934; the same 30 s added after the window instead: +0.3
 * points. Passages grow from 68 to 103 s on average (README "Tuning").
 */
export const LEAD_IN_SECONDS = 45;

/** Tuned on the dev sets; see README.md "Tuning". */
export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  candidates: 60,
  lexical: 'bm25',
  lexicalWeight: 1,
  vectorWeight: 1,
  maxPerVideo: 3,
  maxOverlap: 0.4,
  newVideosAfter: 5,
  leadInSeconds: LEAD_IN_SECONDS,
  maxInMemoryChunks: IN_MEMORY_MAX_CHUNKS,
};

type ChunkRow = ChunkWithVideo;

export async function hybridSearch(
  db: Db,
  embedder: Embedder | null,
  query: string,
  options: SearchOptions = {},
  settings: RetrievalSettings = DEFAULT_RETRIEVAL,
): Promise<SearchHit[]> {
  checkQuery(query, options);
  const k = options.k ?? 10;
  filterClause(options, 0); // validates the filter values before any work
  const bm25 = await lexicalRankerFor(db, settings.maxInMemoryChunks);
  const lexicalRaw =
    settings.lexicalWeight <= 0
      ? []
      : settings.lexical === 'bm25'
        ? await bm25.search(query, settings.candidates, options, settings.variant?.bm25)
        : await tsRankSearch(db, query, settings.candidates, options);
  const lexical = applyVariant(lexicalRaw, settings.variant);
  const vector = applyVariant(await vectorSide(db, embedder, query, settings, options), settings.variant);
  const fused = reciprocalRankFusion([
    { ids: lexical.map((h) => h.id), weight: settings.lexicalWeight },
    { ids: vector.map((h) => h.id), weight: settings.vectorWeight },
  ]);
  if (fused.length === 0) return [];
  const rows = await loadChunks(
    db,
    fused.slice(0, Math.max(k * 4, 40)).map((f) => f.id),
  );
  const idf = await bm25.idfs(query);
  const lexRank = new Map(lexical.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const vecRank = new Map(vector.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const perVideo = new Map<string, number>();
  const chosen: { row: ChunkRow; score: number }[] = [];
  const skipped: number[] = [];
  const accept = (id: number, score: number, strict: boolean): boolean => {
    const row = rows.get(id);
    if (!row) return false;
    const used = perVideo.get(row.video_id) ?? 0;
    if (used >= settings.maxPerVideo) return false;
    if (
      chosen.some(
        (c) =>
          c.row.video_id === row.video_id &&
          overlapShare({ start: c.row.start_sec, end: c.row.end_sec }, row) > settings.maxOverlap,
      )
    )
      return false;
    if (strict && chosen.length >= settings.newVideosAfter && used > 0) return false;
    perVideo.set(row.video_id, used + 1);
    chosen.push({ row, score });
    return true;
  };
  const toHit = (row: ChunkRow, score: number, before: readonly Segment[]): SearchHit => {
    const id = Number(row.id);
    // The link is placed inside the window that matched; the lead-in is context before it.
    const cite = localize(query, row.segments, idf, settings.variant?.lookahead);
    const lead = leadIn(before, row.start_sec, settings.leadInSeconds ?? 0);
    const segments = lead.length > 0 ? [...lead, ...row.segments] : row.segments;
    return {
      videoId: row.video_id,
      title: row.title,
      published: isoDate(row.published),
      start: Math.floor(lead[0]?.start ?? row.start_sec),
      end: Math.ceil(row.end_sec),
      citeStart: cite.start,
      url: deepLink(row.video_id, cite.start),
      text: lead.length > 0 ? segments.map((x) => x.text).join(' ') : row.text,
      segments,
      score,
      scores: {
        lexicalRank: lexRank.get(id)?.rank ?? null,
        lexical: lexRank.get(id)?.score ?? null,
        vectorRank: vecRank.get(id)?.rank ?? null,
        vector: vecRank.get(id)?.score ?? null,
      },
    };
  };
  const scoreOf = new Map(fused.map((f) => [f.id, f.score]));
  for (const { id, score } of fused) {
    if (chosen.length >= k) break;
    if (!accept(id, score, true)) skipped.push(id);
  }
  // Not enough distinct videos among the candidates: fill up in rank order.
  for (const id of skipped) {
    if (chosen.length >= k) break;
    accept(id, scoreOf.get(id)!, false);
  }
  const before = settings.leadInSeconds
    ? await precedingSegments(
        db,
        chosen.map((c) => Number(c.row.id)),
      )
    : new Map<number, Segment[]>();
  const hits = chosen.map((c) => toHit(c.row, c.score, before.get(Number(c.row.id)) ?? []));
  hits.sort((a, b) => b.score - a.score);
  return hits;
}

/**
 * The segments of the `seconds` before a window that the window does not hold. A described moment
 * starts before the words that match it (it is introduced, then discussed): on the key-moment dev
 * set the gold second lies before the top hit's link far more often than after it, and a hit missed
 * by its own window is missed almost always because the moment began earlier (README "Tuning").
 */
export function leadIn(before: readonly Segment[], windowStart: number, seconds: number): Segment[] {
  if (seconds <= 0) return [];
  return before.filter((x) => x.start >= windowStart - seconds && x.start < windowStart);
}

async function vectorSide(
  db: Db,
  embedder: Embedder | null,
  query: string,
  settings: RetrievalSettings,
  options: SearchOptions,
) {
  if (!embedder || settings.vectorWeight <= 0) return [];
  const qv = await embedder.embedQuery(db, query);
  if (!qv) return [];
  return vectorSearch(db, qv, settings.candidates, options);
}

async function loadChunks(q: Queryable, ids: number[]): Promise<Map<number, ChunkRow>> {
  return chunksWithVideo(q, ids);
}

/** Shared seconds over the shorter of the two spans. */
function overlapShare(a: { start: number; end: number }, b: ChunkRow): number {
  const shared = Math.min(a.end, b.end_sec) - Math.max(a.start, b.start_sec);
  const shorter = Math.min(a.end - a.start, b.end_sec - b.start_sec);
  return shared <= 0 || shorter <= 0 ? 0 : shared / shorter;
}

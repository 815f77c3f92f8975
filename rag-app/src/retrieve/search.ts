import type { Embedder } from '../embed/embedder.ts';
import { type ChunkWithVideo, chunksWithVideo } from '../store/chunks.ts';
import type { Db, Queryable } from '../store/db.ts';
import { isoDate } from '../store/videos.ts';
import { deepLink, type SearchHit, type SearchOptions } from '../types.ts';
import { IN_MEMORY_MAX_CHUNKS, lexicalRankerFor } from './bm25-index.ts';
import { filterClause } from './filters.ts';
import { tsRankSearch } from './lexical.ts';
import { localize } from './localize.ts';
import { momentStarts } from './moment-start.ts';
import { PROXIMITY, type ProximitySettings, withProximity } from './proximity.ts';
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
   * A hit shows the window before it when that one overlaps it and has at least this share of its
   * BM25 score: the matching passage began there (moment-start.ts). 0 or unset: each hit its own window.
   */
  momentStartRatio?: number;
  /** Up to this many chunks BM25 ranks in memory, above it in SQL (bm25-index.ts). */
  maxInMemoryChunks?: number;
  /** A bonus on BM25 scores for query words said side by side (proximity.ts); unset: none. */
  proximity?: ProximitySettings;
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
 * Tuned on half A of the key-moment dev set (split by video), confirmed on half B, with the concept
 * set's figures as a floor (scripts/tune-retrieval.ts; root README "Performance").
 */
export const MOMENT_START_RATIO = 0.8;

/** Tuned on the dev sets; see README.md "Tuning". */
export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  candidates: 60,
  lexical: 'bm25',
  lexicalWeight: 1,
  vectorWeight: 1,
  maxPerVideo: 4,
  maxOverlap: 0.4,
  newVideosAfter: 5,
  momentStartRatio: MOMENT_START_RATIO,
  maxInMemoryChunks: IN_MEMORY_MAX_CHUNKS,
  proximity: PROXIMITY,
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
  const idf = await bm25.idfs(query);
  // On BM25's scale only. The lexical candidates are read once: for the bonus, then for the hits.
  const proximity = settings.lexical === 'bm25' ? settings.proximity : undefined;
  const lexicalRows = proximity
    ? await loadChunks(
        db,
        lexicalRaw.map((h) => h.id),
      )
    : new Map<number, ChunkRow>();
  const lexical = proximity
    ? withProximity(
        applyVariant(lexicalRaw, settings.variant),
        query,
        (id) => lexicalRows.get(id)?.text,
        idf,
        proximity,
      )
    : applyVariant(lexicalRaw, settings.variant);
  const vector = applyVariant(await vectorSide(db, embedder, query, settings, options), settings.variant);
  const fused = reciprocalRankFusion([
    { ids: lexical.map((h) => h.id), weight: settings.lexicalWeight },
    { ids: vector.map((h) => h.id), weight: settings.vectorWeight },
  ]);
  if (fused.length === 0) return [];
  const top = fused.slice(0, Math.max(k * 4, 40)).map((f) => f.id);
  const read = await loadChunks(
    db,
    top.filter((id) => !lexicalRows.has(id)),
  );
  const rows = new Map<number, ChunkRow>();
  for (const id of top) {
    const row = lexicalRows.get(id) ?? read.get(id);
    if (row) rows.set(id, row);
  }
  const lexRank = new Map(lexical.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const vecRank = new Map(vector.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const perVideo = new Map<string, number>();
  const chosen: { row: ChunkRow; score: number }[] = [];
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
  const toHit = (row: ChunkRow, score: number): SearchHit => {
    const id = Number(row.id);
    const cite = localize(query, row.segments, idf, settings.variant?.lookahead);
    return {
      videoId: row.video_id,
      title: row.title,
      published: isoDate(row.published),
      start: Math.floor(row.start_sec),
      end: Math.ceil(row.end_sec),
      citeStart: cite.start,
      url: deepLink(row.video_id, cite.start),
      text: row.text,
      segments: row.segments,
      score,
      scores: {
        lexicalRank: lexRank.get(id)?.rank ?? null,
        lexical: lexRank.get(id)?.score ?? null,
        vectorRank: vecRank.get(id)?.rank ?? null,
        vector: vecRank.get(id)?.score ?? null,
      },
    };
  };
  // Each loaded candidate as the window it shows, in rank order, each window once.
  const starts = momentStarts(
    [...rows.values()].map((r) => ({
      id: Number(r.id),
      videoId: r.video_id,
      start: r.start_sec,
      end: r.end_sec,
      lexical: lexRank.get(Number(r.id))?.score ?? null,
    })),
    settings.momentStartRatio ?? 0,
  );
  const ranked: { id: number; score: number }[] = [];
  const shown = new Set<number>();
  for (const f of fused) {
    if (!rows.has(f.id)) continue;
    const id = starts.get(f.id) ?? f.id;
    if (shown.has(id)) continue;
    shown.add(id);
    ranked.push({ id, score: f.score });
  }
  const skipped: { id: number; score: number }[] = [];
  for (const c of ranked) {
    if (chosen.length >= k) break;
    if (!accept(c.id, c.score, true)) skipped.push(c);
  }
  // Not enough distinct videos among the candidates: fill up in rank order.
  for (const c of skipped) {
    if (chosen.length >= k) break;
    accept(c.id, c.score, false);
  }
  const hits = chosen.map((c) => toHit(c.row, c.score));
  hits.sort((a, b) => b.score - a.score);
  return hits;
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

/**
 * Retrieval at scale on PostgreSQL: the real corpus, then the synthetic scale-up (scale-up.ts) to
 * each size. Per size: BM25 in SQL (SqlBm25) and, while it fits, the in-memory BM25 index (load
 * time and memory, query latency, and whether both rank the same chunks with the same scores);
 * the app's vector side (HNSW) and pgvector HNSW against an exact scan (recall@10 by ef_search);
 * `rag.search` lexical only and hybrid (BM25 + LSA vectors, RRF).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import { LsaEmbedder } from '../../src/embed/lsa-embedder.ts';
import { corpusSource } from '../../src/ingest/sources.ts';
import { openRag } from '../../src/open.ts';
import { Bm25Index, lexicalRankerFor } from '../../src/retrieve/bm25-index.ts';
import { type LexicalHit, SqlBm25 } from '../../src/retrieve/lexical.ts';
import { vectorSearch } from '../../src/retrieve/vector.ts';
import { type Db, openPostgres } from '../../src/store/db.ts';
import { createHnswIndex, dropHnswIndex, nearestChunks } from '../../src/store/vectors.ts';
import { type Latency, MB, runLoad, summarize, timed } from '../measure.ts';
import { scaleUpTo } from './scale-up.ts';

/** ef_search values swept for recall@10 (pgvector's default is 40). */
export const EF_SEARCH = [10, 20, 40, 80, 160, 320] as const;
/** Above this many postings rows the in-memory index is not loaded (see README "Performance"). */
export const MAX_IN_MEMORY_POSTINGS = 30_000_000;
/** Candidates each side hands to the fusion (DEFAULT_RETRIEVAL.candidates). */
const CANDIDATES = 60;
/** Above this many chunks an exact scan takes seconds: recall is measured on this many queries. */
const EXACT_QUERIES_LARGE = { aboveChunks: 200_000, queries: 30 } as const;
/** Relative score difference up to which the two BM25 rankers count as agreeing. */
export const SAME_SCORE = 1e-9;

export interface RankingAgreement {
  queries: number;
  /** Queries whose top 60 differ in ids, order, or a score by more than SAME_SCORE (relative). */
  differing: number;
  maxRelativeScoreDiff: number;
}

/** Compares two rankings of the same queries: ids in order, scores within SAME_SCORE. Pure. */
export function rankingAgreement(a: readonly LexicalHit[][], b: readonly LexicalHit[][]): RankingAgreement {
  let differing = 0;
  let maxRelativeScoreDiff = 0;
  a.forEach((hits, i) => {
    const other = b[i] ?? [];
    let same = hits.length === other.length;
    hits.forEach((h, j) => {
      const o = other[j];
      if (!o || o.id !== h.id) {
        same = false;
        return;
      }
      const rel = Math.abs(h.score - o.score) / Math.max(Math.abs(h.score), Number.MIN_VALUE);
      maxRelativeScoreDiff = Math.max(maxRelativeScoreDiff, rel);
      if (rel > SAME_SCORE) same = false;
    });
    if (!same) differing++;
  });
  return { queries: a.length, differing, maxRelativeScoreDiff };
}

export interface RecallPoint {
  efSearch: number;
  recallAt10: number;
  /**
   * The same, counting a chunk and its synthetic copies (`<videoId>~n`, same ordinal) as one: a
   * copy of a wanted chunk is what a reader wanted too. Equal to recallAt10 without copies.
   */
  sourceRecallAt10: number;
  latency: Latency;
}

export interface ScaleFigures {
  chunks: number;
  postings: number;
  /** Distinct terms (bm25_terms rows with df > 0). */
  vocabulary: number;
  /** On-disk size of chunk_terms with its indexes, and of bm25_terms, in MB. */
  postingsMb: number;
  termsMb: number;
  /** Seconds to copy the corpus up to this size (0 at corpus size). */
  scaleUpSec: number;
  hnswBuildSec: number;
  bm25InMemory:
    | {
        loaded: true;
        loadSec: number;
        heapMb: number;
        rssMb: number;
        search: Latency;
        /** The in-memory ranking against the SQL one, query by query. */
        agreement: RankingAgreement;
      }
    | { loaded: false; reason: string };
  /** SqlBm25.search, top 60 (with respelling, as the app ranks). */
  bm25Sql: Latency;
  /** The app's vector side (vectorSearch, top 60, HNSW at its ef_search). */
  vector: Latency;
  /** rag.search, k 10: BM25 only, with the ranker the app picks at this size. */
  ragLexical: { ranker: 'memory' | 'sql'; latency: Latency };
  /** rag.search, k 10: BM25 + LSA vectors fused (EMBEDDER=lsa), the app's ranker. */
  ragHybrid: { ranker: 'memory' | 'sql'; latency: Latency };
  exactScan: Latency;
  /** Queries the exact scan and the recall sweep ran. */
  recallQueries: number;
  hnsw: RecallPoint[];
}

export interface ScalePlan {
  databaseUrl: string;
  config: Config;
  corpusDir: string;
  queries: readonly string[];
  sizes: readonly number[];
  onPhase?: (phase: string) => void;
  /** Called with each size's figures as soon as they are measured (progress on a long run). */
  onSize?: (figures: ScaleFigures) => void;
}

const SQL_TIMEOUT_MS = 120_000;

async function openSchema(url: string): Promise<{ db: Db; drop: () => Promise<void> }> {
  const schema = `bench_scale_${randomBytes(5).toString('hex')}`;
  const admin = await openPostgres(url);
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.close();
  }
  const u = new URL(url);
  u.searchParams.set(
    'options',
    `-c search_path=${schema},public -c statement_timeout=${SQL_TIMEOUT_MS * 10}`,
  );
  const db = await openPostgres(u.toString());
  return {
    db,
    drop: async () => {
      await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
}

async function count(db: Db, sql: string): Promise<number> {
  return Number((await db.query<{ n: string | number }>(sql)).rows[0]?.n ?? 0);
}

async function nearest(db: Db, v: number[], how: { efSearch: number; exact?: boolean }): Promise<number[]> {
  return (await nearestChunks(db, v, 10, {}, how)).map((h) => h.id);
}

/** The chunk each id stands for once synthetic copies are folded into their source: video and ordinal. */
async function sourcesOf(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  const res = await db.query<{ id: string | number; source: string }>(
    "SELECT id, split_part(video_id, '~', 1) || '#' || ordinal AS source FROM chunks WHERE id = ANY($1::bigint[])",
    [ids],
  );
  return new Map(res.rows.map((r) => [Number(r.id), r.source]));
}

const mbOf = async (db: Db, relation: string) =>
  Math.round((await count(db, `SELECT pg_total_relation_size('${relation}') AS n`)) / MB);

async function latencyOf(n: number, fn: (i: number) => Promise<unknown>): Promise<Latency> {
  const run = await runLoad(n, 1, fn);
  if (run.errors) throw new Error(`scale measurement failed: ${run.firstError}`);
  return summarize(run.samplesMs);
}

export async function measureSize(
  db: Db,
  plan: ScalePlan,
  embedder: LsaEmbedder,
  vectors: number[][],
  dim: number,
  scaleUpSec: number,
  say: (s: string) => void,
): Promise<ScaleFigures> {
  const { queries } = plan;
  const chunks = await count(db, 'SELECT count(*) AS n FROM chunks');
  const postings = await count(db, 'SELECT count(*) AS n FROM chunk_terms');
  const vocabulary = await count(db, 'SELECT count(*) AS n FROM bm25_terms WHERE df > 0');
  say(`${chunks} chunks, ${postings} postings, ${vocabulary} terms: BM25 in SQL x ${queries.length}`);
  const sql = await SqlBm25.load(db);
  const sqlHits: LexicalHit[][] = [];
  const bm25Sql = await latencyOf(queries.length, async (i) => {
    sqlHits[i] = await sql.search(queries[i]!, CANDIDATES);
  });

  let bm25InMemory: ScaleFigures['bm25InMemory'];
  if (postings > MAX_IN_MEMORY_POSTINGS) {
    bm25InMemory = {
      loaded: false,
      reason: `${postings} postings rows > ${MAX_IN_MEMORY_POSTINGS}: every row is read into the process (see README "Performance")`,
    };
  } else {
    say(`${chunks} chunks: loading the in-memory BM25 index`);
    globalThis.gc?.();
    const before = process.memoryUsage();
    const load = await timed(() => Bm25Index.load(db));
    globalThis.gc?.();
    const after = process.memoryUsage();
    const index = load.value;
    const memoryHits: LexicalHit[][] = [];
    const search = await latencyOf(queries.length, async (i) => {
      memoryHits[i] = index.search(queries[i]!, CANDIDATES);
    });
    bm25InMemory = {
      loaded: true,
      loadSec: Math.round(load.ms / 100) / 10,
      heapMb: Math.round((after.heapUsed - before.heapUsed) / MB),
      rssMb: Math.round((after.rss - before.rss) / MB),
      search,
      agreement: rankingAgreement(memoryHits, sqlHits),
    };
    say(`${chunks} chunks: in-memory vs SQL ${JSON.stringify(bm25InMemory.agreement)}`);
  }

  say(`${chunks} chunks, ${postings} postings: building the HNSW index`);
  const build = await timed(async () => {
    await dropHnswIndex(db, dim);
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL maintenance_work_mem = '${chunks > 300_000 ? '3GB' : '1GB'}'`);
      await createHnswIndex(tx, dim);
    });
  });
  await db.query('ANALYZE chunks');

  const recallQueries =
    chunks > EXACT_QUERIES_LARGE.aboveChunks
      ? Math.min(vectors.length, EXACT_QUERIES_LARGE.queries)
      : vectors.length;
  say(`${chunks} chunks: exact scan x ${recallQueries}`);
  const exact: number[][] = [];
  const exactScan = await latencyOf(recallQueries, async (i) => {
    exact[i] = await nearest(db, vectors[i]!, { efSearch: 40, exact: true });
  });
  const hnsw: RecallPoint[] = [];
  for (const ef of EF_SEARCH) {
    say(`${chunks} chunks: HNSW ef_search ${ef}`);
    const answers: number[][] = [];
    const latency = await latencyOf(recallQueries, async (i) => {
      answers[i] = await nearest(db, vectors[i]!, { efSearch: ef });
    });
    // Scored after the timed queries, so the source lookups are not in the latencies.
    let found = 0;
    let foundSources = 0;
    let wanted = 0;
    let wantedSources = 0;
    for (let i = 0; i < recallQueries; i++) {
      const got = new Set(answers[i]);
      wanted += exact[i]!.length;
      found += exact[i]!.filter((id) => got.has(id)).length;
      const source = await sourcesOf(db, [...exact[i]!, ...answers[i]!]);
      const want = new Set(exact[i]!.map((id) => source.get(id)));
      const have = new Set(answers[i]!.map((id) => source.get(id)));
      wantedSources += want.size;
      foundSources += [...want].filter((x) => have.has(x)).length;
    }
    hnsw.push({
      efSearch: ef,
      recallAt10: wanted ? found / wanted : Number.NaN,
      sourceRecallAt10: wantedSources ? foundSources / wantedSources : Number.NaN,
      latency,
    });
  }

  say(`${chunks} chunks: vector side x ${vectors.length}`);
  const vector = await latencyOf(vectors.length, (i) => vectorSearch(db, vectors[i]!, CANDIDATES));

  say(`${chunks} chunks: rag.search lexical and hybrid x ${queries.length}`);
  const ranker = (await lexicalRankerFor(db)).kind;
  const lexicalRag = await openRag(plan.config, { db, embedder: null });
  await lexicalRag.search(queries[0]!); // builds the app's own ranker (the index, below the threshold) once
  const ragLexical = await latencyOf(queries.length, (i) => lexicalRag.search(queries[i]!));
  const hybridRag = await openRag(plan.config, { db, embedder });
  await hybridRag.search(queries[0]!);
  const ragHybrid = await latencyOf(queries.length, (i) => hybridRag.search(queries[i]!));
  return {
    chunks,
    postings,
    vocabulary,
    postingsMb: await mbOf(db, 'chunk_terms'),
    termsMb: await mbOf(db, 'bm25_terms'),
    scaleUpSec,
    hnswBuildSec: Math.round(build.ms / 100) / 10,
    bm25InMemory,
    bm25Sql,
    vector,
    ragLexical: { ranker, latency: ragLexical },
    ragHybrid: { ranker, latency: ragHybrid },
    exactScan,
    recallQueries,
    hnsw,
  };
}

/** Ingests the corpus with LSA vectors into a schema of its own, then measures each size (ascending). */
export async function benchScale(plan: ScalePlan): Promise<ScaleFigures[]> {
  const t0 = performance.now();
  const say = (s: string) => plan.onPhase?.(`scale +${Math.round((performance.now() - t0) / 1000)} s: ${s}`);
  const { db, drop } = await openSchema(plan.databaseUrl);
  try {
    const lsa = new LsaEmbedder();
    const rag = await openRag(plan.config, { db, embedder: lsa });
    say(`ingesting ${plan.corpusDir} with LSA vectors`);
    await rag.ingest(corpusSource(plan.corpusDir));
    const vectors: number[][] = [];
    for (const q of plan.queries) {
      const v = await lsa.embedQuery(db, q);
      if (v) vectors.push(v);
    }
    const dim = lsa.dim();
    if (!dim || vectors.length === 0) throw new Error('LSA gave no query vectors: is the corpus empty?');
    // Only BM25 and the vectors are measured; the full-text column (computed for every copied
    // chunk) and its index would slow every copy down.
    await db.query('DROP INDEX IF EXISTS chunks_tsv_idx');
    await db.query('ALTER TABLE chunks DROP COLUMN IF EXISTS tsv');
    const out: ScaleFigures[] = [];
    for (const size of [...plan.sizes].sort((a, b) => a - b)) {
      let scaleUpSec = 0;
      if (size > (await count(db, 'SELECT count(*) AS n FROM chunks'))) {
        await dropHnswIndex(db, dim);
        say(`scaling up to ${size} chunks`);
        const t = await timed(() =>
          scaleUpTo(db, size, (p) => say(`  copy ${p.copies}: ${p.chunks} chunks`)),
        );
        scaleUpSec = Math.round(t.ms / 100) / 10;
      }
      const figures = await measureSize(db, plan, lsa, vectors, dim, scaleUpSec, say);
      plan.onSize?.(figures);
      out.push(figures);
    }
    return out;
  } finally {
    await drop();
  }
}

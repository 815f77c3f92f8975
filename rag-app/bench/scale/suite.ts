/**
 * Retrieval at scale on PostgreSQL: the real corpus, then the synthetic scale-up (scale-up.ts) to
 * each size. Per size: the in-memory BM25 index (load time and memory, query latency), BM25 ranked
 * in SQL, pgvector HNSW against an exact scan (latency, recall@10 by ef_search), and `rag.search`.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import { LsaEmbedder } from '../../src/embed/lsa-embedder.ts';
import { corpusSource } from '../../src/ingest/sources.ts';
import { openRag } from '../../src/open.ts';
import { Bm25Index } from '../../src/retrieve/bm25-index.ts';
import { bm25SqlSearch, corpusStats } from '../../src/retrieve/lexical.ts';
import { hnswIndexSql } from '../../src/retrieve/vector.ts';
import { toVectorSql } from '../../src/store/chunks.ts';
import { type Db, openPostgres } from '../../src/store/db.ts';
import { type Latency, MB, runLoad, summarize, timed } from '../measure.ts';
import { scaleUpTo } from './scale-up.ts';

/** ef_search values swept for recall@10 (pgvector's default is 40). */
export const EF_SEARCH = [10, 20, 40, 80, 160, 320] as const;
/** Above this many postings rows the in-memory index is not loaded (see README "Performance"). */
export const MAX_IN_MEMORY_POSTINGS = 30_000_000;
/** Candidates each side hands to the fusion (DEFAULT_RETRIEVAL.candidates). */
const CANDIDATES = 60;

export interface RecallPoint {
  efSearch: number;
  recallAt10: number;
  latency: Latency;
}

export interface ScaleFigures {
  chunks: number;
  postings: number;
  /** Seconds to copy the corpus up to this size (0 at corpus size). */
  scaleUpSec: number;
  hnswBuildSec: number;
  bm25InMemory:
    | { loaded: true; loadSec: number; heapMb: number; rssMb: number; search: Latency; ragSearch: Latency }
    | { loaded: false; reason: string };
  bm25Sql: Latency;
  exactScan: Latency;
  hnsw: RecallPoint[];
}

export interface ScalePlan {
  databaseUrl: string;
  config: Config;
  corpusDir: string;
  queries: readonly string[];
  sizes: readonly number[];
  onPhase?: (phase: string) => void;
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

async function nearest(db: Db, v: number[], dim: number, settings: string[]): Promise<number[]> {
  return db.transaction(async (tx) => {
    for (const s of settings) await tx.query(s);
    const res = await tx.query<{ id: string | number }>(
      `SELECT id FROM chunks WHERE embedding IS NOT NULL
       ORDER BY embedding::vector(${dim}) <=> $1::vector(${dim}) LIMIT 10`,
      [toVectorSql(v)],
    );
    return res.rows.map((r) => Number(r.id));
  });
}

async function latencyOf(n: number, fn: (i: number) => Promise<unknown>): Promise<Latency> {
  const run = await runLoad(n, 1, fn);
  if (run.errors) throw new Error(`scale measurement failed: ${run.firstError}`);
  return summarize(run.samplesMs);
}

async function measureSize(
  db: Db,
  plan: ScalePlan,
  vectors: number[][],
  dim: number,
  scaleUpSec: number,
  say: (s: string) => void,
): Promise<ScaleFigures> {
  const { queries } = plan;
  const chunks = await count(db, 'SELECT count(*) AS n FROM chunks');
  const postings = await count(db, 'SELECT count(*) AS n FROM chunk_terms');
  say(`${chunks} chunks, ${postings} postings: building the HNSW index`);
  const build = await timed(async () => {
    await db.query(`DROP INDEX IF EXISTS chunks_embedding_hnsw_${dim}`);
    await db.transaction(async (tx) => {
      await tx.query("SET LOCAL maintenance_work_mem = '1GB'");
      await tx.query(hnswIndexSql(dim));
    });
  });

  say(`${chunks} chunks: exact scan x ${vectors.length}`);
  const exact: number[][] = [];
  const exactScan = await latencyOf(vectors.length, async (i) => {
    exact[i] = await nearest(db, vectors[i]!, dim, ['SET LOCAL enable_indexscan = off']);
  });
  const hnsw: RecallPoint[] = [];
  for (const ef of EF_SEARCH) {
    say(`${chunks} chunks: HNSW ef_search ${ef}`);
    let found = 0;
    let wanted = 0;
    const latency = await latencyOf(vectors.length, async (i) => {
      const got = new Set(await nearest(db, vectors[i]!, dim, [`SET LOCAL hnsw.ef_search = ${ef}`]));
      wanted += exact[i]!.length;
      found += exact[i]!.filter((id) => got.has(id)).length;
    });
    hnsw.push({ efSearch: ef, recallAt10: wanted ? found / wanted : Number.NaN, latency });
  }

  say(`${chunks} chunks: BM25 in SQL x ${queries.length}`);
  const stats = await corpusStats(db);
  const bm25Sql = await latencyOf(queries.length, (i) =>
    bm25SqlSearch(db, queries[i]!, CANDIDATES, {}, stats),
  );

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
    const search = await latencyOf(queries.length, async (i) => index.search(queries[i]!, CANDIDATES));
    const rag = await openRag(plan.config, { db, embedder: null });
    await rag.search(queries[0]!); // loads the app's own cached index once
    const ragSearch = await latencyOf(queries.length, (i) => rag.search(queries[i]!));
    bm25InMemory = {
      loaded: true,
      loadSec: Math.round(load.ms / 100) / 10,
      heapMb: Math.round((after.heapUsed - before.heapUsed) / MB),
      rssMb: Math.round((after.rss - before.rss) / MB),
      search,
      ragSearch,
    };
  }
  return {
    chunks,
    postings,
    scaleUpSec,
    hnswBuildSec: Math.round(build.ms / 100) / 10,
    bm25InMemory,
    bm25Sql,
    exactScan,
    hnsw,
  };
}

/** Ingests the corpus with LSA vectors into a schema of its own, then measures each size (ascending). */
export async function benchScale(plan: ScalePlan): Promise<ScaleFigures[]> {
  const say = (s: string) => plan.onPhase?.(`scale: ${s}`);
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
    // Only BM25 and the vectors are measured; the full-text index would slow every copy down.
    await db.query('DROP INDEX IF EXISTS chunks_tsv_idx');
    const out: ScaleFigures[] = [];
    for (const size of [...plan.sizes].sort((a, b) => a - b)) {
      let scaleUpSec = 0;
      if (size > (await count(db, 'SELECT count(*) AS n FROM chunks'))) {
        await db.query(`DROP INDEX IF EXISTS chunks_embedding_hnsw_${dim}`);
        say(`scaling up to ${size} chunks`);
        const t = await timed(() =>
          scaleUpTo(db, size, (p) => say(`  copy ${p.copies}: ${p.chunks} chunks`)),
        );
        scaleUpSec = Math.round(t.ms / 100) / 10;
      }
      out.push(await measureSize(db, plan, vectors, dim, scaleUpSec, say));
    }
    return out;
  } finally {
    await drop();
  }
}

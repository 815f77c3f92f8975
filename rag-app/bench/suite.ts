/** One benchmark pass on one fresh store: ingest, re-ingest, search, ask, then HTTP. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpusSource } from '../src/ingest/sources.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { type Db, openPglite, openPostgres } from '../src/store/db.ts';
import type { SourceItem } from '../src/types.ts';
import { benchConfig, benchHttp, type HttpRun } from './http.ts';
import {
  type Latency,
  type Memory,
  memory,
  rate,
  runLoad,
  samplePeakRss,
  summarize,
  timed,
} from './measure.ts';

export interface Store {
  name: 'pglite' | 'postgres';
  open(): Promise<Db>;
}

export const pgliteStore: Store = { name: 'pglite', open: () => openPglite() };

/** PostgreSQL at `url`, in a schema of its own that is dropped when the store is closed. */
export function postgresStore(url: string): Store {
  return {
    name: 'postgres',
    async open() {
      const schema = `bench_${randomBytes(6).toString('hex')}`;
      const admin = await openPostgres(url);
      try {
        // pgvector lives in public; the schema search path below reaches it there.
        await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
        await admin.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await admin.close();
      }
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema},public`);
      const db = await openPostgres(u.toString());
      return {
        ...db,
        async close() {
          await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
          await db.close();
        },
      };
    },
  };
}

export interface IngestFigures {
  seconds: number;
  added: number;
  failed: number;
  /** Why the first failed item failed. */
  firstFailure: string | null;
  chunks: number;
  segments: number;
  videosPerSec: number;
  chunksPerSec: number;
  segmentsPerSec: number;
  before: Memory;
  after: Memory;
  peakRssMb: number;
}

export interface StoreFigures {
  store: Store['name'];
  ingest: IngestFigures;
  reingest: { seconds: number; skipped: number; changed: number; failed: number };
  search: { coldMs: number; latency: Latency; qps: number };
  ask: { latency: Latency; qps: number; refused: number };
  http: HttpRun[];
  /** Process memory before the store opens, and once it is open and migrated (PGlite's WASM heap). */
  start: Memory;
  opened: Memory;
  /** Highest RSS of the whole pass, in MB. */
  peakRssMb: number;
}

export interface SuitePlan {
  corpusDir: string;
  queries: readonly string[];
  concurrencies: readonly number[];
  /** Called at the start of each phase (progress on stderr). */
  onPhase?: (phase: string) => void;
}

/** Corpus items as they pass, with the segments of the readable ones counted. */
async function* countSegments(items: AsyncIterable<SourceItem>, tally: { segments: number }) {
  for await (const item of items) {
    if (item.ok) tally.segments += item.transcript.segments.length;
    yield item;
  }
}

const secs = (ms: number) => Math.round(ms / 10) / 100;

async function ingestPhase(rag: Rag, corpusDir: string): Promise<IngestFigures> {
  const before = memory();
  const sampler = samplePeakRss(100);
  const tally = { segments: 0 };
  const { value: summary, ms } = await timed(() => rag.ingest(countSegments(corpusSource(corpusDir), tally)));
  const peakRssMb = sampler.stop();
  return {
    seconds: secs(ms),
    added: summary.added + summary.updated,
    failed: summary.failed,
    firstFailure: summary.items.find((r) => r.status === 'failed')?.reason ?? null,
    chunks: summary.chunks,
    segments: tally.segments,
    videosPerSec: rate(summary.added + summary.updated, ms),
    chunksPerSec: rate(summary.chunks, ms),
    segmentsPerSec: rate(tally.segments, ms),
    before,
    after: memory(),
    peakRssMb,
  };
}

/** Measures everything on a fresh `store`; the store is closed (and a PostgreSQL schema dropped) after. */
export async function benchStore(store: Store, plan: SuitePlan): Promise<StoreFigures> {
  const say = (phase: string) => plan.onPhase?.(`${store.name}: ${phase}`);
  const { queries } = plan;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-bench-'));
  const config = benchConfig(dataDir);
  const start = memory();
  const whole = samplePeakRss(100);
  let db: Db | undefined;
  try {
    db = await store.open();
    const rag = await openRag(config, { db });
    const opened = memory();

    say(`ingesting ${plan.corpusDir}`);
    const ingest = await ingestPhase(rag, plan.corpusDir);

    say('re-ingesting the unchanged corpus');
    const again = await timed(() => rag.ingest(corpusSource(plan.corpusDir)));
    const reingest = {
      seconds: secs(again.ms),
      skipped: again.value.skipped,
      changed: again.value.added + again.value.updated,
      failed: again.value.failed,
    };

    say(`search x ${queries.length}`);
    // The first query after ingest loads the BM25 index for the new corpus version.
    const cold = await timed(() => rag.search(queries[0]!));
    const searchRun = await runLoad(queries.length, 1, (i) => rag.search(queries[i]!));
    if (searchRun.errors) throw new Error(`rag.search failed: ${searchRun.firstError}`);

    say(`ask x ${queries.length}`);
    let refused = 0;
    const askRun = await runLoad(queries.length, 1, async (i) => {
      if ((await rag.ask(queries[i]!)).refused) refused++;
    });
    if (askRun.errors) throw new Error(`rag.ask failed: ${askRun.firstError}`);

    say(`HTTP /api/search and /api/ask x ${queries.length}, concurrency ${plan.concurrencies.join(' and ')}`);
    const http = await benchHttp(config, rag, {
      queries,
      n: queries.length,
      concurrencies: plan.concurrencies,
    });

    return {
      store: store.name,
      ingest,
      reingest,
      search: {
        coldMs: Math.round(cold.ms * 10) / 10,
        latency: summarize(searchRun.samplesMs),
        qps: rate(searchRun.samplesMs.length, searchRun.wallMs),
      },
      ask: {
        latency: summarize(askRun.samplesMs),
        qps: rate(askRun.samplesMs.length, askRun.wallMs),
        refused,
      },
      http,
      start,
      opened,
      peakRssMb: whole.stop(),
    };
  } finally {
    whole.stop();
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

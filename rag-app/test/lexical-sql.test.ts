/**
 * BM25 in SQL (SqlBm25, store/lexical.ts) ranks exactly as the in-memory index (Bm25Index): the
 * same chunk ids in the same order with the same scores, over a slice of the real corpus and the
 * dev set's questions, with respelling, filters and other parameters, on PGlite and PostgreSQL;
 * and migration 142's document frequencies and corpus totals stay exact through every write.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickQueries, readQueries } from '../bench/queries.ts';
import { rankingAgreement } from '../bench/scale/suite.ts';
import { analyseQuestion } from '../src/answer/question.ts';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/sources.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { Bm25Index, lexicalRankerFor } from '../src/retrieve/bm25-index.ts';
import { BM25, type LexicalHit, queryWeights, SqlBm25 } from '../src/retrieve/lexical.ts';
import { termStatsFor } from '../src/retrieve/term-stats.ts';
import type { Db, Queryable } from '../src/store/db.ts';
import { loadMigrations, migrate } from '../src/store/migrate.ts';
import type { SearchOptions, SourceItem } from '../src/types.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
import { CORPUS_DIR, mustHaveShared, SHARED_DIR } from './support/stores.ts';

const config = loadConfig({ DATA_DIR: '/tmp/unused-by-lexical-sql-tests' });
const KEY_MOMENTS = path.join(SHARED_DIR, 'evals/key-moments.dev.jsonl');
const haveShared = existsSync(CORPUS_DIR) && existsSync(KEY_MOMENTS);
const ANSWERABILITY = path.join(SHARED_DIR, 'evals/answerability.dev.jsonl');
const OWN_REFUSALS = path.resolve(import.meta.dirname, '../../evals/datasets/refusal.dev.jsonl');

/** The store, with every SQL statement run through it recorded. */
function recording(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const log = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql);
      return q.query(sql, params);
    },
  });
  const wrapped: Db = {
    kind: db.kind,
    query: log(db).query,
    transaction: (fn) => db.transaction((tx) => fn(log(tx))),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
  return { db: wrapped, statements };
}

/** Videos of the real corpus ingested: enough for shared and rare terms, cheap to ingest. */
const VIDEOS = 6;

async function firstItems(n: number): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of corpusSource(CORPUS_DIR)) {
    if (!item.ok) continue;
    out.push(item);
    if (out.length === n) break;
  }
  return out;
}

/** What migration 142's triggers keep, recomputed from the rows themselves. */
async function statsFromRows(db: Db) {
  const dfs = await db.query<{ term: string; df: number }>(
    'SELECT term, count(*)::int AS df FROM chunk_terms GROUP BY term ORDER BY term',
  );
  const kept = await db.query<{ term: string; df: number }>(
    'SELECT term, df FROM bm25_terms WHERE df > 0 ORDER BY term',
  );
  const totals = await db.query<{ chunks: string; len: string }>(
    'SELECT count(*) AS chunks, coalesce(sum(token_count), 0) AS len FROM chunks',
  );
  const corpus = await db.query<{ chunks: string; total_len: string }>(
    'SELECT chunks, total_len FROM bm25_corpus',
  );
  const lengths = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id WHERE ct.doc_len <> c.token_count',
  );
  return {
    fromRows: dfs.rows,
    kept: kept.rows,
    totals: { chunks: Number(totals.rows[0]!.chunks), len: Number(totals.rows[0]!.len) },
    corpus: { chunks: Number(corpus.rows[0]!.chunks), len: Number(corpus.rows[0]!.total_len) },
    wrongLengths: Number(lengths.rows[0]!.n),
  };
}

async function expectStatsExact(db: Db) {
  const s = await statsFromRows(db);
  expect(s.kept).toEqual(s.fromRows);
  expect(s.corpus).toEqual(s.totals);
  expect(s.wrongLengths).toBe(0);
}

// On PGlite each store is a copy of the blank template (no initdb); the ingest is the test's own.
for (const target of templateStoreTargets()) {
  describe.skipIf(!haveShared && !mustHaveShared)(`BM25 in SQL on ${target.name}`, () => {
    let db: Db;
    let rag: Rag;
    let items: SourceItem[];
    let queries: string[];

    beforeAll(async () => {
      db = await target.open();
      rag = await openRag(config, { db, embedder: null });
      items = await firstItems(VIDEOS);
      await rag.ingest(items);
      const titles = items.flatMap((i) => (i.ok ? [i.transcript.title] : []));
      queries = [
        ...pickQueries(await readQueries(KEY_MOMENTS), 60),
        ...titles,
        // Spellings the corpus lacks (respelled to its own), a rare joined spelling of two words it
        // says often (split), and a term it never has.
        'webhook trigger in n8n',
        'scrape websites with crawl4ai in n8n',
        'mem0 long-term memory for each user',
        'superbase row level security',
        'olama local models',
        'fastapi endpoints with pydantic',
        'langgraph agents and crewai',
        'kubernetes helm charts',
      ];
    }, 240_000);

    afterAll(async () => {
      await rag?.close();
    });

    async function both(options: SearchOptions = {}, params = BM25, limit = 60, n = queries.length) {
      const index = await Bm25Index.load(db);
      const sql = await SqlBm25.load(db);
      const memory: LexicalHit[][] = [];
      const inSql: LexicalHit[][] = [];
      // The respelling cases sit at the end: a shortened run keeps them.
      for (const q of [...queries.slice(0, n - 8), ...queries.slice(-8)]) {
        memory.push(index.search(q, limit, options, params));
        inSql.push(await sql.search(q, limit, options, params));
      }
      return { index, sql, memory, inSql };
    }

    it('ranks the same chunks in the same order with the same scores as the in-memory index', async () => {
      const { index, memory, inSql } = await both();
      expect(index.size).toBeGreaterThan(200);
      // A comparison of empty lists would prove nothing: nearly every question finds chunks.
      expect(memory.filter((h) => h.length === 60).length).toBeGreaterThan(queries.length * 0.8);
      // Respelling is exercised: some queries gain terms the corpus spells its own way.
      const respelled = queries.filter((q) => queryWeights(q, index).size > queryWeights(q, null).size);
      expect(respelled.length).toBeGreaterThan(0);
      const agreement = rankingAgreement(memory, inSql);
      expect(agreement).toMatchObject({ queries: queries.length, differing: 0 });
      expect(agreement.maxRelativeScoreDiff).toBeLessThanOrEqual(1e-9);
      // Equal, not merely close: both add the same float8 values in the same order.
      expect(inSql).toEqual(memory);
    });

    it('agrees under filters, without respelling, with other k1/b, and on the idf it gives localisation', async () => {
      const ok = items.filter((i) => i.ok);
      const video = ok[3]!.ok ? ok[3]!.transcript : null;
      const dates = ok
        .flatMap((i) => (i.ok && i.transcript.published ? [i.transcript.published] : []))
        .sort();
      const cases: [SearchOptions, typeof BM25][] = [
        [{ videoId: video!.videoId }, BM25],
        [{ publishedAfter: dates[Math.floor(dates.length / 2)]!.slice(0, 10) }, BM25],
        [{ publishedBefore: dates[Math.floor(dates.length / 3)]!.slice(0, 10) }, BM25],
        [{}, { ...BM25, respell: false }],
        [{}, { k1: 2.5, b: 0.75, respell: true }],
      ];
      for (const [options, params] of cases) {
        const { memory, inSql } = await both(options, params, 20, 20);
        expect(memory.some((h) => h.length > 0)).toBe(true);
        expect(inSql).toEqual(memory);
      }
      const index = await Bm25Index.load(db);
      const sql = await SqlBm25.load(db);
      for (const q of queries.slice(-20)) {
        const idf = await sql.idfs(q);
        for (const [term] of queryWeights(q, null)) expect(idf(term)).toBe(index.idf(term));
      }
    });

    it('keeps document frequencies and corpus totals exact through re-ingest and removal', async () => {
      await expectStatsExact(db);
      const first = items[0]!;
      if (!first.ok) throw new Error('expected a readable corpus item');
      const changed = {
        ...first,
        transcript: { ...first.transcript, segments: first.transcript.segments.slice(0, 40) },
      };
      expect((await rag.ingest([changed])).updated).toBe(1);
      await expectStatsExact(db);
      expect(await rag.removeVideo(items[1]!.ok ? items[1]!.transcript.videoId : '')).toBe(true);
      await expectStatsExact(db);
      // Rankings still agree after the writes.
      const { memory, inSql } = await both({}, BM25, 60, 20);
      expect(inSql).toEqual(memory);
      await rag.ingest(items.slice(0, 2));
      await expectStatsExact(db);
    });

    it('picks the in-memory index up to the threshold and SQL above it', async () => {
      const size = (await Bm25Index.load(db)).size;
      expect((await lexicalRankerFor(db, size)).kind).toBe('memory');
      expect((await lexicalRankerFor(db, size - 1)).kind).toBe('sql');
    });

    it('answers and refuses the same above the threshold, with statistics from SQL and no index load', async () => {
      const size = (await Bm25Index.load(db)).size;
      // The same store under a threshold one below its size: every lexical read goes to SQL. The
      // wrapper is a new object, so nothing cached for `db` (the in-memory index) is reused.
      const { db: inSql, statements } = recording(db);
      const sqlRag = await openRag(config, {
        db: inSql,
        embedder: null,
        retrieval: { maxInMemoryChunks: size - 1 },
      });
      expect((await lexicalRankerFor(db, size)).kind).toBe('memory');
      expect((await lexicalRankerFor(inSql, size - 1)).kind).toBe('sql');
      const titles = items.flatMap((i) => (i.ok ? [`What is ${i.transcript.title}?`] : []));
      const questions = [
        // Spread over each file: enough of both decisions, cheap enough to ask twice.
        ...pickQueries(await readQueries(ANSWERABILITY), 16),
        ...pickQueries(await readQueries(OWN_REFUSALS), 8),
        ...titles,
        'What does Cole think about superbase and olama?',
        'How does fastapi compare with Claude Code?',
      ];
      const decisions = { memory: [] as boolean[], sql: [] as boolean[] };
      for (const q of questions) {
        const stats = {
          memory: await termStatsFor(await lexicalRankerFor(db), analyseQuestion(q).subject),
          sql: await termStatsFor(await lexicalRankerFor(inSql, size - 1), analyseQuestion(q).subject),
        };
        expect(stats.sql.size).toBe(stats.memory.size);
        expect([...stats.sql.terms()]).toEqual([...stats.memory.terms()]);
        for (const t of stats.memory.terms()) expect(stats.sql.df(t)).toBe(stats.memory.df(t));
        const { timings: _m, ...memory } = await rag.ask(q);
        const { timings: _s, ...sql } = await sqlRag.ask(q);
        expect(sql, q).toEqual(memory);
        decisions.memory.push(memory.refused);
        decisions.sql.push(sql.refused);
      }
      expect(decisions.sql).toEqual(decisions.memory);
      // Both decisions occur, so the comparison is not of one kind only.
      expect(decisions.memory.filter(Boolean).length).toBeGreaterThanOrEqual(5);
      expect(decisions.memory.filter((r) => !r).length).toBeGreaterThanOrEqual(5);
      // Nothing read every posting or every chunk's length (the in-memory index's load).
      expect(statements.filter((sql) => /FROM chunk_terms\s*$|token_count FROM chunks/.test(sql))).toEqual(
        [],
      );
      expect(statements.some((sql) => sql.includes('FROM bm25_terms'))).toBe(true);
    });
  });

  describe(`migration 142 on ${target.name}`, () => {
    it('fills lengths, document frequencies and totals of a store written before it', async () => {
      const db = await target.open();
      try {
        await migrate(
          db,
          loadMigrations().filter((m) => m.version < 142),
        );
        await db.query(
          `INSERT INTO videos (video_id, title, url, source, content_hash, segments)
           VALUES ('AAAAAAAAAAA', 't', 'u', 'corpus', 'h', '[]'::jsonb)`,
        );
        const ids = await db.query<{ id: string }>(
          `INSERT INTO chunks (video_id, ordinal, start_sec, end_sec, text, segments, token_count)
           VALUES ('AAAAAAAAAAA', 0, 0, 60, 'a', '[]', 5), ('AAAAAAAAAAA', 1, 30, 90, 'b', '[]', 3)
           RETURNING id`,
        );
        const [a, b] = ids.rows.map((r) => Number(r.id));
        await db.query(
          `INSERT INTO chunk_terms (chunk_id, term, tf) VALUES
           ($1, 'supabas', 2), ($1, 'postgr', 3), ($2, 'supabas', 1), ($2, 'n8n', 2)`,
          [a, b],
        );
        expect(await migrate(db)).toEqual([
          142,
          ...loadMigrations()
            .filter((m) => m.version > 142)
            .map((m) => m.version),
        ]);
        await expectStatsExact(db);
        const kept = await db.query<{ term: string; df: number }>(
          'SELECT term, df FROM bm25_terms ORDER BY term',
        );
        expect(kept.rows).toEqual([
          { term: 'n8n', df: 1 },
          { term: 'postgr', df: 1 },
          { term: 'supabas', df: 2 },
        ]);
        expect((await db.query('SELECT chunks, total_len FROM bm25_corpus')).rows).toEqual([
          { chunks: expect.anything(), total_len: expect.anything() },
        ]);
        const corpus = (await statsFromRows(db)).corpus;
        expect(corpus).toEqual({ chunks: 2, len: 8 });
      } finally {
        await db.close();
      }
    });
  });
}

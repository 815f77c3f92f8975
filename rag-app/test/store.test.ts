import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { LsaEmbedder } from '../src/embed/lsa-embedder.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import type { Db } from '../src/store/db.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
import { filler, ok, video } from './support/videos.ts';

const config = loadConfig({ DATA_DIR: '/tmp/unused-by-store-tests' });

const videos = [
  video('AAAAAAAAAAA', 'Supabase deep dive', [
    ...filler('databases', 8),
    'row level security in supabase protects every table with policies.',
    ...filler('databases', 8),
  ]),
  video(
    'BBBBBBBBBBB',
    'n8n automations',
    [
      ...filler('workflows', 6),
      'the n8n webhook node triggers the workflow from outside.',
      ...filler('workflows', 6),
    ],
    '2024-03-01',
  ),
  video(
    'CCCCCCCCCCC',
    'Pydantic AI agents',
    [
      ...filler('agents', 10),
      'pydantic ai validates the structured output of the agent.',
      ...filler('agents', 4),
    ],
    '2026-02-01',
  ),
];

// Each test on a fresh store of its own (on PGlite a copy of the blank template: no initdb each).
for (const target of templateStoreTargets()) {
  describe(`store on ${target.name}`, () => {
    let db: Db;
    let rag: Rag;
    beforeEach(async () => {
      db = await target.open();
      rag = await openRag(config, { db, embedder: null });
    });
    afterEach(async () => {
      await rag.close();
    });

    it('ingests, skips unchanged videos, and replaces a changed one', async () => {
      const first = await rag.ingest(videos.map(ok));
      expect(first).toMatchObject({ added: 3, updated: 0, skipped: 0, failed: 0 });
      expect(first.chunks).toBeGreaterThan(3);
      const again = await rag.ingest(videos.map(ok));
      expect(again).toMatchObject({ added: 0, updated: 0, skipped: 3, chunks: 0 });

      const changed = { ...videos[0]!, segments: videos[0]!.segments.slice(0, 5) };
      const third = await rag.ingest([ok(changed)]);
      expect(third).toMatchObject({ updated: 1 });
      const detail = await rag.getVideo('AAAAAAAAAAA');
      expect(detail?.segments).toHaveLength(5);
      expect(detail?.chunks).toBe(third.items[0]!.chunks);
      expect(await rag.stats()).toEqual({ videos: 3, chunks: expect.any(Number) });
    });

    it('reports bad items with a reason and keeps going', async () => {
      const summary = await rag.ingest([
        { ref: 'broken.vtt', ok: false, error: 'line 3: bad cue timing' },
        ok({ ...videos[1]!, segments: [] }),
        ok(videos[2]!),
      ]);
      expect(summary).toMatchObject({ added: 1, failed: 2 });
      expect(summary.items[0]).toMatchObject({ status: 'failed', reason: 'line 3: bad cue timing' });
      expect(summary.items[1]!.reason).toMatch(/no text segments/);
    });

    it('a failed write leaves the previous version of the video whole', async () => {
      await rag.ingest([ok(videos[0]!)]);
      const before = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM chunks WHERE video_id = 'AAAAAAAAAAA'",
      );
      // A segment text with a NUL byte is refused by PostgreSQL halfway through the write.
      const poisoned = {
        ...videos[0]!,
        segments: [...videos[0]!.segments, { start: 999, end: 1000, text: 'bad \u0000 byte' }],
      };
      const res = await rag.ingest([ok(poisoned)]);
      expect(res.failed).toBe(1);
      const after = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM chunks WHERE video_id = 'AAAAAAAAAAA'",
      );
      expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
      expect((await rag.getVideo('AAAAAAAAAAA'))?.segments).toHaveLength(videos[0]!.segments.length);
    });

    it('searches with BM25, cites the matching second, and filters by video and date', async () => {
      await rag.ingest(videos.map(ok));
      const hits = await rag.search('how does row level security work in supabase?', { k: 3 });
      expect(hits[0]).toMatchObject({ videoId: 'AAAAAAAAAAA', title: 'Supabase deep dive', citeStart: 120 });
      expect(hits[0]!.url).toBe('https://youtu.be/AAAAAAAAAAA?t=120');
      expect(hits[0]!.start).toBeLessThanOrEqual(120);
      expect(hits[0]!.end).toBeGreaterThan(120);
      const onlyB = await rag.search('supabase webhook', { videoId: 'BBBBBBBBBBB' });
      expect(onlyB.length).toBeGreaterThan(0);
      expect(onlyB.every((h) => h.videoId === 'BBBBBBBBBBB')).toBe(true);
      const recent = await rag.search('agent structured output', { publishedAfter: '2026-01-01' });
      expect(recent.map((h) => h.videoId)).toEqual(expect.arrayContaining(['CCCCCCCCCCC']));
      expect(recent.every((h) => h.published! >= '2026-01-01')).toBe(true);
      await expect(rag.search('x', { publishedAfter: 'soon' })).rejects.toThrow(
        /publishedAfter must be a date/,
      );
      // A video the store does not hold is named as the mistake, not answered with nothing.
      await expect(rag.search('supabase', { videoId: 'ZZZZZZZZZZZ' })).rejects.toMatchObject({
        code: 'not_found',
        message: 'no video ZZZZZZZZZZZ in the store',
      });
      await expect(rag.ask('what is row level security?', { videoId: 'ZZZZZZZZZZZ' })).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(rag.search('   ')).rejects.toThrow(/empty/);
    });

    it('ranks a chunk that says the query words side by side above one that says them apart', async () => {
      const together = video('PPPPPPPPPPP', 'Long sessions', [
        ...filler('sessions', 8),
        'after a while you get context rot and the answers get worse.',
        ...filler('sessions', 8),
      ]);
      // More mentions of "context", so plain BM25 puts it first.
      const apart = video('QQQQQQQQQQQ', 'Big windows', [
        ...filler('windows', 8),
        'context is big these days, so much context in every window of every model, and old code can rot.',
        ...filler('windows', 8),
      ]);
      await rag.ingest([together, apart].map(ok));
      // The same store without the bonus (closed with it after the test).
      const plain = await openRag(config, { db, embedder: null, retrieval: { proximity: undefined } });
      const top = async (r: Rag) => (await r.search('what is context rot?', { k: 2 })).map((h) => h.videoId);
      expect(await top(plain)).toEqual(['QQQQQQQQQQQ', 'PPPPPPPPPPP']);
      expect(await top(rag)).toEqual(['PPPPPPPPPPP', 'QQQQQQQQQQQ']);
      // The answer's evidence keeps BM25's order (open.ts): the answer still reads the words.
      expect((await rag.ask('what is context rot?')).citations.length).toBeGreaterThan(0);
    });

    it('removes a video with its chunks', async () => {
      await rag.ingest(videos.map(ok));
      expect(await rag.removeVideo('BBBBBBBBBBB')).toBe(true);
      expect(await rag.removeVideo('BBBBBBBBBBB')).toBe(false);
      expect((await rag.search('n8n webhook node')).some((h) => h.videoId === 'BBBBBBBBBBB')).toBe(false);
      const page = await rag.listVideos({ q: 'supabase' });
      expect(page.total).toBe(1);
      expect(page.videos[0]).toMatchObject({ videoId: 'AAAAAAAAAAA', published: '2025-01-01' });
    });

    it('fits LSA vectors on ingest, searches them through HNSW, and refuses a mismatched space', async () => {
      const lsaRag = await openRag(config, {
        db,
        embedder: new LsaEmbedder({ dim: 8, minDf: 1, maxVocab: 5000, powerIterations: 2, seed: 1 }),
        retrieval: { lexicalWeight: 0, vectorWeight: 1 },
      });
      await lsaRag.ingest(videos.map(ok));
      const space = await db.query<{ provider: string; dim: number }>(
        'SELECT provider, dim FROM embedding_space',
      );
      expect(space.rows[0]).toEqual({ provider: 'lsa', dim: 8 });
      const idx = await db.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_hnsw_8'",
      );
      expect(idx.rows[0]?.indexdef).toMatch(/hnsw/);
      const nulls = await db.query<{ n: string }>('SELECT count(*) AS n FROM chunks WHERE embedding IS NULL');
      expect(Number(nulls.rows[0]!.n)).toBe(0);
      const hits = await lsaRag.search('webhook node triggers workflow', { k: 3 });
      expect(hits[0]!.videoId).toBe('BBBBBBBBBBB');
      expect(hits[0]!.scores.vectorRank).toBe(1);
      const filtered = await lsaRag.search('webhook node triggers workflow', {
        k: 3,
        videoId: 'CCCCCCCCCCC',
      });
      expect(filtered.every((h) => h.videoId === 'CCCCCCCCCCC')).toBe(true);
      // Another process reading the store with a different space is told so, not given garbage.
      await db.query('UPDATE embedding_space SET dim = 16');
      await expect(new LsaEmbedder().embedQuery(db, 'webhook')).rejects.toThrow(/dim 8|dim 16/);
    });
  });
}

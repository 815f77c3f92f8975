import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { corpusSource } from '../src/ingest/sources.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import type { IngestSummary } from '../src/types.ts';
import { freshPglite } from './support/pglite-templates.ts';
import { CORPUS_DIR, mustHaveShared } from './support/stores.ts';

// The whole shared corpus, end to end on the embedded store: parse → chunk → store → search → answer.
// In CI the shared corpus must be there: a missing fixture fails instead of skipping.
describe.skipIf(!existsSync(CORPUS_DIR) && !mustHaveShared)(
  'the shared corpus (198 videos) on PGlite',
  () => {
    let rag: Rag;
    let summary: IngestSummary;

    beforeAll(async () => {
      rag = await openRag(loadConfig({ DATA_DIR: '/tmp/unused' }), { db: await freshPglite() });
      summary = await rag.ingest(corpusSource(CORPUS_DIR));
    }, 600_000);
    afterAll(() => rag?.close());

    it('ingests every video, including the two without timestamps', async () => {
      const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md'));
      expect(files).toHaveLength(198);
      expect(summary).toMatchObject({ added: 198, updated: 0, skipped: 0, failed: 0 });
      const stats = await rag.stats();
      expect(stats.videos).toBe(198);
      expect(stats.chunks).toBe(summary.chunks);
      // ~66 h of speech in 60 s windows every ~30 s
      expect(stats.chunks).toBeGreaterThan(4000);
      for (const untimed of ['yAFzPzpzJHU', 'mNcXue7X8H0']) {
        const v = await rag.getVideo(untimed);
        expect(v?.chunks).toBeGreaterThan(5);
      }
    });

    it('re-ingesting the unchanged corpus does nothing', async () => {
      const again = await rag.ingest(corpusSource(CORPUS_DIR));
      expect(again).toMatchObject({ added: 0, updated: 0, skipped: 198, failed: 0, chunks: 0 });
    });

    it('retrieves a known moment with the right video and second', async () => {
      // key-moments dev case: n8n tip 3 starts at 2:33 in Nsu9BzQv5C4
      const hits = await rag.search('Tip 3: extract text from different file types with different nodes', {
        k: 5,
      });
      const moment = hits.find((h) => h.videoId === 'Nsu9BzQv5C4' && Math.abs(h.citeStart - 153) <= 15);
      expect(moment, JSON.stringify(hits.map((h) => [h.videoId, h.citeStart]))).toBeDefined();
      expect(hits[0]!.videoId).toBe('Nsu9BzQv5C4');
    });

    it('answers the PIV loop question with citations deep-linking into the right video', async () => {
      const res = await rag.ask('What are the three stages of the PIV loop?');
      expect(res.refused).toBe(false);
      expect(res.answer.toLowerCase()).toContain('plan, implement, validate');
      const piv = res.citations.find((c) => c.text.toLowerCase().includes('plan, implement, validate'));
      expect(piv).toMatchObject({ videoId: 'goOZSXmrYQ4' });
      expect(piv!.url).toBe(`https://youtu.be/goOZSXmrYQ4?t=${piv!.start}`);
      expect(Math.abs(piv!.start - 1397)).toBeLessThanOrEqual(15);
      // The retrieved chunk ends mid-sentence (23:31); the lead reads on in the transcript past it.
      expect(piv!.text).toContain('we create a structured plan');
      expect(piv!.end).toBeGreaterThan(1411);
    });

    it('refuses a question the channel does not answer', async () => {
      const res = await rag.ask('What is the best recipe for sourdough bread with rye flour?');
      expect(res).toMatchObject({ refused: true, citations: [] });
    });
  },
);

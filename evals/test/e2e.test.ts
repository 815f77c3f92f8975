/**
 * End to end: `evals run` (the CLI's main, in this process) on the real rag-app (openRag, in-process)
 * over a real PGlite store holding a slice of the real corpus, with a slice of the real dev sets; then
 * the gate on its own output. The entry as a process is smoke-tested once, in cli.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SourceItem } from '@dark-factory/rag-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../src/dataset.ts';
import { DATASETS_DIR } from '../src/paths.ts';
import { summarySchema } from '../src/summary.ts';
import { runMain } from './helpers/cli.ts';
import { DEV_SETS, SHARED_DIR } from './helpers/paths.ts';

const ragApp = (await import('@dark-factory/rag-app')) as Record<string, unknown>;
// Guard kept so this file stays valid against a rag-app without the in-process facade.
const hasOpenRag = typeof ragApp.openRag === 'function' && typeof ragApp.corpusSource === 'function';

describe.runIf(hasOpenRag)('evals run on the real rag-app (in-process)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'evals-e2e-'));
    const suite = await loadSuite(DEV_SETS, { factsDir: DATASETS_DIR });
    // 40 key moments, 8 concepts, 6 answerable and 4 refusal questions; the store holds their videos.
    const pick = [
      ...suite.cases
        .filter((c) => c.kind === 'key-moment')
        .filter((_, i) => i % 27 === 0)
        .slice(0, 40),
      ...suite.cases.filter((c) => c.kind === 'concept').slice(0, 8),
      ...suite.cases.filter((c) => c.kind === 'answerable').slice(0, 6),
      ...suite.cases.filter((c) => c.kind === 'refusal').slice(0, 4),
    ];
    const videos = new Set(pick.flatMap((c) => (c.gold ?? []).map((g) => g.videoId)));
    const lines = (await Promise.all(DEV_SETS.map((f) => readFile(f, 'utf8')))).flatMap((t) =>
      t.split('\n').filter(Boolean),
    );
    const ids = new Set(pick.map((c) => c.id));
    await writeFile(
      path.join(dir, 'slice.jsonl'),
      `${lines.filter((l) => ids.has(JSON.parse(l).id)).join('\n')}\n`,
    );

    env = { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '', ANTHROPIC_API_KEY: '' };
    const loadConfig = ragApp.loadConfig as (e: NodeJS.ProcessEnv, cwd: string) => unknown;
    const openRag = ragApp.openRag as (c: unknown) => Promise<{
      ingest(items: AsyncIterable<SourceItem>): Promise<{ added: number; failed: number }>;
      close(): Promise<void>;
    }>;
    const corpusSource = ragApp.corpusSource as (d: string) => AsyncIterable<SourceItem>;
    async function* only(items: AsyncIterable<SourceItem>): AsyncGenerator<SourceItem> {
      for await (const item of items) if (item.ok && videos.has(item.transcript.videoId)) yield item;
    }
    const rag = await openRag(loadConfig({ ...process.env, ...env }, dir));
    try {
      const summary = await rag.ingest(only(corpusSource(path.join(SHARED_DIR, 'corpus', 'cole-medin'))));
      expect(summary.failed).toBe(0);
      expect(summary.added).toBe(videos.size);
    } finally {
      await rag.close();
    }
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores the slice with every contract key, no NaN, and plausible retrieval', async () => {
    const r = await runMain(
      ['run', '--dataset', 'slice.jsonl', '--json', 'run.json', '--md', 'run.md', '--html', 'run.html'],
      {
        cwd: dir,
        env,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')));
    expect(s.cases).toBe(58);
    expect(s.client).toBe('in-process');
    expect(s.errors).toBe(0);
    for (const key of [
      'hitAt1Moment',
      'hitAt5Moment',
      'hitAt5Video',
      'mrrMoment',
      'linkAt1',
      'recallAt10Video',
      'refusalAccuracy',
      'latencyP50Ms',
      'latencyP95Ms',
    ]) {
      expect(s.metrics[key], key).toEqual(expect.any(Number));
    }
    expect(JSON.stringify(s)).not.toMatch(/NaN/);
    // a store of just these videos: retrieval must find most of them
    expect(s.metrics.hitAt10Video).toBeGreaterThan(0.8);
    expect(s.metrics.hitAt5Moment).toBeGreaterThan(0.5);
    expect(s.byKind.answerable?.refusalAccuracy).toEqual(expect.any(Number));
    expect(s.results?.every((x) => x.latencyMs > 0)).toBe(true);

    const g = await runMain(['gate', '--baseline', 'run.json', '--candidate', 'run.json'], { cwd: dir, env });
    expect(g.stdout).toMatch(/paired bootstrap over 58 cases/);
    // the slice is too small for the absolute floors; drops must be nil
    expect(g.stdout).not.toMatch(/dropped/);
  }, 300_000);
});

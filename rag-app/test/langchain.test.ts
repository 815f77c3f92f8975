// @dark-factory/rag-app/langchain: the retriever inside real LangChain runnables, and the loader
// over the ingest fixtures, offline on an in-memory PGlite store.
//
// LangChain is an optional install (rag-app/optional/langchain, linked into rag-app/node_modules), so
// it and the entry point are imported in beforeAll: CI installs it (scripts/setup.sh --ci), and there a
// missing install fails these tests; elsewhere they are skipped with a line naming the command.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Document } from '@langchain/core/documents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LANGCHAIN_INSTALL,
  langchainInstalled,
  langchainMissing,
} from '../bench/quality/langchain-baseline.ts';
import { loadConfig } from '../src/config.ts';
import { InputError } from '../src/errors.ts';
import type { MomentMetadata } from '../src/langchain/index.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { openPglite } from '../src/store/db.ts';
import { fixture, fixturesDir } from './fixtures/ingest/support.ts';
import { filler, ok, video } from './support/videos.ts';

const installed = langchainInstalled();
if (!installed && !process.env.CI) {
  console.warn(`langchain: skipped, LangChain is not installed (${LANGCHAIN_INSTALL})`);
}

async function importLangchain() {
  const [prompts, runnables, textsplitters, entry] = await Promise.all([
    import('@langchain/core/prompts'),
    import('@langchain/core/runnables'),
    import('@langchain/textsplitters'),
    import('../src/langchain/index.ts'),
  ]);
  return {
    PromptTemplate: prompts.PromptTemplate,
    RunnablePassthrough: runnables.RunnablePassthrough,
    RunnableSequence: runnables.RunnableSequence,
    RecursiveCharacterTextSplitter: textsplitters.RecursiveCharacterTextSplitter,
    RagRetriever: entry.RagRetriever,
    TranscriptLoader: entry.TranscriptLoader,
  };
}
let lc: Awaited<ReturnType<typeof importLangchain>>;

let rag: Rag;
let dataDir: string;

beforeAll(async () => {
  if (!installed && !process.env.CI) return;
  if (!installed) throw langchainMissing(' (CI runs scripts/setup.sh --ci, which installs it)');
  lc = await importLangchain();
  dataDir = mkdtempSync(path.join(tmpdir(), 'rag-langchain-'));
  rag = await openRag(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, dataDir), {
    db: await openPglite(),
    embedder: null,
  });
  await rag.ingest(
    (async function* () {
      yield ok(
        video('aaaaaaaaaaa', 'The PIV loop', [
          ...filler('coding agents', 8),
          'the piv loop stands for plan implement validate, the three stages of every change.',
          'first you plan, then you implement, then you validate with tests.',
          ...filler('coding agents', 8),
        ]),
      );
      yield ok(
        video('bbbbbbbbbbb', 'n8n webhooks', [
          ...filler('automation', 6),
          'to set up a webhook trigger in n8n add the webhook node and copy its production url.',
          ...filler('automation', 6),
        ]),
      );
    })(),
  );
});

afterAll(async () => {
  await rag?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!installed && !process.env.CI)('RagRetriever', () => {
  it('returns documents that carry the video, the span and the deep link of each moment', async () => {
    const retriever = new lc.RagRetriever({ rag, k: 3 });
    const docs = await retriever.invoke('what are the three stages of the PIV loop?');
    expect(docs.length).toBeGreaterThan(0);
    const top = docs[0]!;
    expect(top.metadata).toMatchObject({ videoId: 'aaaaaaaaaaa', title: 'The PIV loop' });
    expect(top.pageContent).toContain('plan implement validate');
    // The link opens the video where the answer starts (segment 8 = 120 s), inside the span.
    expect(top.metadata.citeStart).toBe(120);
    expect(top.metadata.url).toBe('https://youtu.be/aaaaaaaaaaa?t=120');
    expect(top.metadata.start).toBeLessThanOrEqual(120);
    expect(top.metadata.end).toBeGreaterThan(120);
    expect(docs.length).toBeLessThanOrEqual(3);
  });

  it('applies its filter to every search', async () => {
    const retriever = new lc.RagRetriever({ rag, filter: { videoId: 'bbbbbbbbbbb' } });
    const docs = await retriever.invoke('plan implement validate webhook');
    expect(docs.length).toBeGreaterThan(0);
    expect(new Set(docs.map((d) => d.metadata.videoId))).toEqual(new Set(['bbbbbbbbbbb']));
  });

  it('runs inside a RunnableSequence: question → retriever → cited context → prompt', async () => {
    const retriever = new lc.RagRetriever({ rag, k: 2 });
    const formatDocs = (docs: Document<MomentMetadata>[]) =>
      docs.map((d, i) => `[${i + 1}] ${d.metadata.title} (${d.metadata.url}): ${d.pageContent}`).join('\n');
    const prompt = lc.PromptTemplate.fromTemplate(
      'Answer from the context only.\n{context}\nQuestion: {question}',
    );
    const chain = lc.RunnableSequence.from([
      { context: retriever.pipe(formatDocs), question: new lc.RunnablePassthrough() },
      prompt,
    ]);
    const [piv, webhook] = await chain.batch([
      'What are the three stages of the PIV loop?',
      'How do I set up a webhook trigger in n8n?',
    ]);
    expect(piv!.toString()).toMatch(/\[1\] The PIV loop \(https:\/\/youtu\.be\/aaaaaaaaaaa\?t=120\)/);
    expect(piv!.toString()).toContain('Question: What are the three stages of the PIV loop?');
    expect(webhook!.toString()).toMatch(/\[1\] n8n webhooks \(https:\/\/youtu\.be\/bbbbbbbbbbb\?t=90\)/);
  });
});

describe.skipIf(!installed && !process.env.CI)('TranscriptLoader', () => {
  it('loads JSON, VTT, SRT and corpus files with the ingest parsers, one document per video', async () => {
    const docs = await new lc.TranscriptLoader({
      paths: [
        fixture('episode.json'),
        fixture('dQw4w9WgXcQ.vtt'),
        fixture('lecture.jNQXAC9IVRw.srt'),
        fixture('sample.md'),
      ],
    }).load();
    expect(docs.map((d) => d.metadata.videoId)).toEqual([
      '9bZkp7q19f0',
      'dQw4w9WgXcQ',
      'jNQXAC9IVRw',
      'abcDEF12345',
    ]);
    const episode = docs[0]!;
    // Offsets in milliseconds become seconds, segments in time order.
    expect(episode.pageContent).toBe('first line second line third line');
    expect(episode.metadata).toMatchObject({
      title: 'An episode in milliseconds',
      source: 'json',
      start: 0,
      end: 10,
    });
    expect(docs[3]!.metadata.source).toBe('corpus');
  });

  it('splits by segment or into the app’s time windows, each with its own deep link', async () => {
    const segments = await new lc.TranscriptLoader({
      paths: [fixture('episode.json')],
      split: 'segment',
    }).load();
    expect(segments.map((d) => [d.pageContent, d.metadata.start, d.metadata.url])).toEqual([
      ['first line', 0, 'https://youtu.be/9bZkp7q19f0?t=0'],
      ['second line', 3, 'https://youtu.be/9bZkp7q19f0?t=3'],
      ['third line', 6, 'https://youtu.be/9bZkp7q19f0?t=6'],
    ]);
    const windows = await new lc.TranscriptLoader({ paths: [fixture('sample.md')], split: 'window' }).load();
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows)
      expect(w.metadata.url).toBe(`https://youtu.be/abcDEF12345?t=${w.metadata.start}`);
  });

  it('feeds LangChain splitters with the metadata kept on every piece', async () => {
    const docs = await new lc.TranscriptLoader({ paths: [fixture('dQw4w9WgXcQ.vtt')] }).load();
    const pieces = await new lc.RecursiveCharacterTextSplitter({
      chunkSize: 20,
      chunkOverlap: 0,
    }).splitDocuments(docs);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.metadata.videoId).toBe('dQw4w9WgXcQ');
  });

  it('fails naming the file that cannot be loaded', async () => {
    await expect(new lc.TranscriptLoader({ paths: [fixture('no-id.srt')] }).load()).rejects.toThrow(
      /no video id/,
    );
    await expect(
      new lc.TranscriptLoader({ paths: [path.join(fixturesDir, 'missing.vtt')] }).load(),
    ).rejects.toThrow(InputError);
    expect(() => new lc.TranscriptLoader({ paths: [] })).toThrow(/at least one path/);
  });
});

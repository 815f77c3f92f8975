import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createEmbedder } from '../src/embed/index.ts';
import { inspectModelDir, TransformersEmbedder } from '../src/embed/transformers.ts';
import {
  loadTransformers,
  TRANSFORMERS_INSTALL,
  transformersInstalled,
} from '../src/embed/transformers-library.ts';
import { ConfigError, EmbeddingMismatchError } from '../src/errors.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import type { Db } from '../src/store/db.ts';
import { freshPglite, templateStoreTargets } from './support/pglite-templates.ts';
import {
  TINY_DIM,
  TINY_VOCAB,
  tinyEmbeddingTable,
  tinyTypeTable,
  writeTinyBert,
} from './support/tiny-bert.ts';
import { filler, ok, video } from './support/videos.ts';

/**
 * The library is an optional install (rag-app/optional/transformers). CI installs it (scripts/setup.sh
 * --ci), so there these tests always run and a missing library fails them; elsewhere they are skipped
 * until it is installed.
 */
const installed = transformersInstalled();
const describeInstalled = describe.skipIf(!installed && !process.env.CI);
if (!installed && !process.env.CI) {
  console.warn(
    `embed-transformers: skipped, the optional library is not installed (${TRANSFORMERS_INSTALL})`,
  );
}

describe('the optional transformers library', () => {
  it('is missing with a ConfigError that names the install command', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'rag-no-transformers-'));
    try {
      const err = await rejection(() => loadTransformers(empty));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toBe(
        `EMBEDDER=transformers needs @huggingface/transformers, which the default install leaves out (about 400 MB with onnxruntime): install it with \`${TRANSFORMERS_INSTALL}\` (or bash scripts/setup.sh --transformers)`,
      );
      expect(TRANSFORMERS_INSTALL).toBe('pnpm --dir rag-app/optional/transformers install --frozen-lockfile');
      // The embedder refuses at construction, before any text: the server fails at start, not mid-ingest.
      const model = await writeTinyBert(path.join(empty, 'tiny-bert'));
      const refused = await rejection(
        () => new TransformersEmbedder({ modelDir: model, libraryProject: empty }),
      );
      expect(refused.message).toMatch(/needs @huggingface\/transformers/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.runIf(process.env.CI)('is installed in CI, where its tests must run', () => {
    expect(installed, `CI runs scripts/setup.sh --ci, which runs ${TRANSFORMERS_INSTALL}`).toBe(true);
  });
});

let root: string;
let modelDir: string;
const embedders: TransformersEmbedder[] = [];
function embedder(options: Partial<ConstructorParameters<typeof TransformersEmbedder>[0]> = {}) {
  const e = new TransformersEmbedder({ modelDir, ...options });
  embedders.push(e);
  return e;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rag-transformers-'));
  modelDir = await writeTinyBert(path.join(root, 'tiny-bert'), { nameOrPath: 'dark-factory/tiny-bert-test' });
});
afterAll(async () => {
  await Promise.all(embedders.splice(0).map((e) => e.dispose()));
  await rm(root, { recursive: true, force: true });
});

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** What the graph computes for these tokens: mean of word + type rows (type 0), L2-normalised. */
function expectedVector(tokens: string[]): number[] {
  const words = tinyEmbeddingTable();
  const type0 = tinyTypeTable()[0]!;
  const sum = new Array<number>(TINY_DIM).fill(0);
  for (const t of tokens) {
    const row = words[TINY_VOCAB.indexOf(t)]!;
    for (let i = 0; i < TINY_DIM; i++) sum[i]! += (row[i]! + type0[i]!) / tokens.length;
  }
  const norm = Math.sqrt(dot(sum, sum));
  return sum.map((x) => x / norm);
}

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, x] of actual.entries()) expect(x).toBeCloseTo(expected[i]!, 5);
}

async function rejection(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describeInstalled('TransformersEmbedder model directory checks', () => {
  it('names the space after the directory and config _name_or_path', () => {
    expect(inspectModelDir(modelDir)).toEqual({
      dir: modelDir,
      model: 'tiny-bert (dark-factory/tiny-bert-test)',
    });
    expect(inspectModelDir('tiny-bert', root).dir).toBe(modelDir);
  });

  it('fails with a ConfigError naming the missing setting, directory or files', async () => {
    const none = await rejection(() => new TransformersEmbedder({ modelDir: '' }));
    expect(none).toBeInstanceOf(ConfigError);
    expect(none.message).toMatch(/EMBEDDER=transformers needs EMBEDDER_MODEL_DIR/);

    const absent = await rejection(() => inspectModelDir(path.join(root, 'nope')));
    expect(absent).toBeInstanceOf(ConfigError);
    expect(absent.message).toMatch(/nope is not a directory/);

    const partial = await writeTinyBert(path.join(root, 'partial'), {
      omit: ['tokenizer.json', 'onnx/model.onnx'],
    });
    const lacking = await rejection(() => inspectModelDir(partial));
    expect(lacking).toBeInstanceOf(ConfigError);
    expect(lacking.message).toBe(`EMBEDDER_MODEL_DIR ${partial} lacks tokenizer.json, onnx/model.onnx`);

    const noConfig = await writeTinyBert(path.join(root, 'no-config'), { omit: ['config.json'] });
    expect((await rejection(() => inspectModelDir(noConfig))).message).toMatch(/lacks config\.json$/);
    const noTokenizerConfig = await writeTinyBert(path.join(root, 'no-tc'), {
      omit: ['tokenizer_config.json'],
    });
    expect((await rejection(() => inspectModelDir(noTokenizerConfig))).message).toMatch(
      /lacks tokenizer_config\.json$/,
    );
    const badConfig = await writeTinyBert(path.join(root, 'bad-config'));
    await writeFile(path.join(badConfig, 'config.json'), '{"model_type": ');
    const invalid = await rejection(() => inspectModelDir(badConfig));
    expect(invalid).toBeInstanceOf(ConfigError);
    expect(invalid.message).toMatch(/config\.json is not valid JSON/);
  });

  it('is what createEmbedder returns for EMBEDDER=transformers, and checks the directory there', async () => {
    const db = await freshPglite();
    try {
      const made = await createEmbedder(
        loadConfig({ EMBEDDER: 'transformers', EMBEDDER_MODEL_DIR: modelDir, DATA_DIR: root }),
        db,
      );
      expect(made).toBeInstanceOf(TransformersEmbedder);
      expect(made).toMatchObject({
        provider: 'transformers',
        model: 'tiny-bert (dark-factory/tiny-bert-test)',
      });
      const err = await rejection(() =>
        createEmbedder(loadConfig({ EMBEDDER: 'transformers', DATA_DIR: root }), db),
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(/needs EMBEDDER_MODEL_DIR/);
    } finally {
      await db.close();
    }
  });
});

describeInstalled('TransformersEmbedder running a real model with transformers.js and onnxruntime', () => {
  it('tokenizes with WordPiece, mean-pools over the mask and returns unit vectors of the model dim', async () => {
    const e = embedder();
    expect(e.dim()).toBeNull();
    const [v] = await e.embedTexts(['Workflows!']);
    expect(e.dim()).toBe(TINY_DIM);
    expect(v).toHaveLength(TINY_DIM);
    expect(dot(v!, v!)).toBeCloseTo(1, 5);
    // BertNormalizer lowercases, "workflows" splits into workflow + ##s, "!" is unknown.
    const expected = expectedVector(['[CLS]', 'workflow', '##s', '[UNK]', '[SEP]']);
    expectClose(v!, expected);
  });

  it('gives a text the same vector alone as padded in a batch', async () => {
    const texts = [
      'webhook',
      'the n8n webhook node triggers the workflow from outside and every automation with it',
      'pydantic ai agents',
      'row level security',
      'sql',
    ];
    const batched = await embedder({ batchSize: 2 }).embedTexts(texts);
    expect(batched).toHaveLength(5);
    const single = embedder({ batchSize: 1 });
    for (const [i, text] of texts.entries()) {
      const [alone] = await single.embedTexts([text]);
      expectClose(alone!, batched[i]!);
    }
  });

  it('places similar texts nearer than unrelated ones, also without shared words', async () => {
    const [a, b, c, d] = await embedder().embedTexts([
      'the n8n webhook node triggers the workflow',
      'which node triggers an n8n workflow from a webhook',
      'row level security policies in supabase',
      'zapier automation',
    ]);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.3);
    // No word in common with a, but the same topic: the model, not word overlap, brings them close.
    expect(dot(a!, d!)).toBeGreaterThan(dot(c!, d!) + 0.3);
  });

  it('loads a directory whose name is no hub id through its absolute path', async () => {
    const odd = await writeTinyBert(path.join(root, 'my model--v2'));
    const e = embedder({ modelDir: odd });
    expect(e.model).toBe('my model--v2');
    const [v] = await e.embedTexts(['Workflows!']);
    const [w] = await embedder().embedTexts(['Workflows!']);
    expect(v).toEqual(w);
  });

  it('names the directory when the model cannot be loaded', async () => {
    const broken = await writeTinyBert(path.join(root, 'broken'));
    await writeFile(path.join(broken, 'onnx/model.onnx'), 'not a protobuf');
    const err = await rejection(() => embedder({ modelDir: broken }).embedTexts(['x']));
    expect(err).toMatchObject({ name: 'TransformersError', code: 'embedding_failed' });
    expect(err.message).toMatch(new RegExp(`could not load the model in ${broken}`));
  });
});

const videos = [
  video('AAAAAAAAAAA', 'Supabase deep dive', [
    ...filler('databases', 8),
    'row level security in supabase protects every table with policies.',
    ...filler('databases', 8),
  ]),
  video('BBBBBBBBBBB', 'n8n automations', [
    ...filler('workflows', 6),
    'the n8n webhook node triggers the workflow from outside.',
    ...filler('workflows', 6),
  ]),
  video('CCCCCCCCCCC', 'Pydantic AI agents', [
    ...filler('agents', 10),
    'pydantic ai validates the structured output of the agent.',
    ...filler('agents', 4),
  ]),
];

const VECTOR_ONLY = { lexicalWeight: 0, vectorWeight: 1 };
const config = loadConfig({ DATA_DIR: '/tmp/unused-by-embed-transformers-tests' });

async function count(db: Db, sql: string): Promise<number> {
  const res = await db.query<{ n: string | number }>(sql);
  return Number(res.rows[0]!.n);
}

// A fresh store per test (on PGlite a copy of the blank template: no initdb each).
for (const target of templateStoreTargets()) {
  describeInstalled(`TransformersEmbedder in the ingest pipeline on ${target.name}`, () => {
    let db: Db;
    let rag: Rag | null;
    beforeEach(async () => {
      db = await target.open();
      rag = null;
    });
    afterEach(async () => {
      if (rag) await rag.close();
      else await db.close();
    });

    it('embeds on ingest, records the space with its HNSW index, retrieves by vector, refuses another model', async () => {
      rag = await openRag(config, { db, embedder: embedder({ db, batchSize: 3 }), retrieval: VECTOR_ONLY });
      expect(await rag.ingest(videos.map(ok))).toMatchObject({ added: 3, failed: 0 });

      const space = await db.query('SELECT provider, model, dim FROM embedding_space');
      expect(space.rows).toEqual([
        { provider: 'transformers', model: 'tiny-bert (dark-factory/tiny-bert-test)', dim: TINY_DIM },
      ]);
      const idx = await db.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_hnsw_${TINY_DIM}' AND schemaname = current_schema()`,
      );
      expect(idx.rows[0]?.indexdef).toMatch(/USING hnsw/);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(0);
      expect(
        await count(db, `SELECT count(*) AS n FROM chunks WHERE vector_dims(embedding) <> ${TINY_DIM}`),
      ).toBe(0);

      const hits = await rag.search('which node triggers the workflow from a webhook?', { k: 3 });
      expect(hits[0]).toMatchObject({ videoId: 'BBBBBBBBBBB' });
      expect(hits[0]!.scores.vectorRank).toBe(1);
      expect(hits[0]!.scores.lexicalRank).toBeNull();
      expect((await rag.search('supabase row level security policies', { k: 3 }))[0]!.videoId).toBe(
        'AAAAAAAAAAA',
      );
      // Words the transcripts never use, of the agents topic: only the model can tie them.
      expect((await rag.search('llm tools', { k: 3 }))[0]!.videoId).toBe('CCCCCCCCCCC');

      // Another model directory of the same dim: refused for queries and ingest, nothing written.
      const otherDir = await writeTinyBert(path.join(root, 'other-bert'));
      const other = embedder({ modelDir: otherDir, db });
      const mismatch = await rejection(() => other.embedQuery(db, 'webhook'));
      expect(mismatch).toBeInstanceOf(EmbeddingMismatchError);
      expect(mismatch.message).toMatch(
        /transformers\/tiny-bert \(dark-factory\/tiny-bert-test\).*other-bert/,
      );
      const before = await count(db, 'SELECT count(*) AS n FROM chunks');
      const otherRag = await openRag(config, { db, embedder: other, retrieval: VECTOR_ONLY });
      const refused = await otherRag.ingest([ok(video('DDDDDDDDDDD', 'Extra', ['a new video about sql.']))]);
      expect(refused).toMatchObject({ added: 0, failed: 1 });
      expect(await count(db, 'SELECT count(*) AS n FROM chunks')).toBe(before);
    });

    it('embeds chunks left without a vector in afterIngest', async () => {
      // Stored by the lexical-only app (no embedder), then EMBEDDER=transformers is switched on.
      const plain = await openRag(config, { db, embedder: null });
      expect(await plain.ingest(videos.slice(0, 2).map(ok))).toMatchObject({ added: 2 });
      const older = await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL');
      expect(older).toBeGreaterThan(0);

      const stages: string[] = [];
      const e = embedder({ db, batchSize: 2 });
      rag = await openRag(config, { db, embedder: e, retrieval: VECTOR_ONLY });
      await e.afterIngest(db, (m) => stages.push(m));
      expect(stages[0]).toBe(`embedding ${older} chunks without a vector (${e.model})`);
      expect(stages.at(-1)).toBe(`embedded ${older}/${older} chunks`);
      expect(await count(db, 'SELECT count(*) AS n FROM chunks WHERE embedding IS NULL')).toBe(0);
      expect((await db.query('SELECT dim FROM embedding_space')).rows).toEqual([{ dim: TINY_DIM }]);
      expect((await rag.search('n8n webhook node', { k: 1 }))[0]!.videoId).toBe('BBBBBBBBBBB');
    });
  });
}

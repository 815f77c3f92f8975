import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, RagError } from '../errors.ts';
import { type Logger, logger as rootLogger } from '../log.ts';
import type { Queryable } from '../store/db.ts';
import { TextEmbedder } from './text-embedder.ts';
import {
  assertTransformersInstalled,
  type FeatureExtractor,
  loadTransformers,
} from './transformers-library.ts';

const PROVIDER = 'transformers';
/** What `pipeline('feature-extraction', ..., { dtype: 'fp32' })` reads from the model directory. */
// Without tokenizer_config.json the library loads no tokenizer and fails only at the first text.
export const REQUIRED_MODEL_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;
export const DEFAULT_TRANSFORMERS_BATCH = 16;
// The library's own check for a hub id: anything else is read relative to the working directory.
const MODEL_ID = /^\b[\w\-.]{1,96}\b$/;

export interface TransformersEmbedderOptions {
  /** A directory holding an exported model: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. */
  modelDir: string;
  /** Texts per forward pass; padded to the longest, so memory grows with batch × length. */
  batchSize?: number;
  /** The store the vectors go to: checked before vectors are handed to the ingest. */
  db?: Queryable;
  logger?: Logger;
  /** Where the optional library is installed (rag-app/optional/transformers). */
  libraryProject?: string;
}

/** The model failed to load or to run. */
export class TransformersError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('embedding_failed', message, context, options);
    this.name = 'TransformersError';
  }
}

export interface ModelDirInfo {
  /** Absolute path of the model directory. */
  dir: string;
  /** Name recorded in the embedding space: the directory's basename, plus config's `_name_or_path`. */
  model: string;
}

/** Checks that `dir` holds a loadable model; ConfigError naming the missing setting or files. */
export function inspectModelDir(dir: string | undefined, cwd = process.cwd()): ModelDirInfo {
  if (!dir) {
    throw new ConfigError(
      `EMBEDDER=transformers needs EMBEDDER_MODEL_DIR: a directory with ${REQUIRED_MODEL_FILES.join(', ')} (a model exported for transformers.js)`,
    );
  }
  const abs = path.resolve(cwd, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new ConfigError(`EMBEDDER_MODEL_DIR ${abs} is not a directory`, { EMBEDDER_MODEL_DIR: abs });
  }
  const missing = REQUIRED_MODEL_FILES.filter((f) => !existsSync(path.join(abs, f)));
  if (missing.length > 0) {
    throw new ConfigError(`EMBEDDER_MODEL_DIR ${abs} lacks ${missing.join(', ')}`, {
      EMBEDDER_MODEL_DIR: abs,
      missing,
    });
  }
  let nameOrPath: unknown;
  try {
    nameOrPath = (JSON.parse(readFileSync(path.join(abs, 'config.json'), 'utf8')) as Record<string, unknown>)
      ._name_or_path;
  } catch (err) {
    throw new ConfigError(`EMBEDDER_MODEL_DIR ${abs}: config.json is not valid JSON (${String(err)})`, {
      EMBEDDER_MODEL_DIR: abs,
    });
  }
  const base = path.basename(abs);
  const model =
    typeof nameOrPath === 'string' && nameOrPath !== '' && nameOrPath !== base
      ? `${base} (${nameOrPath})`
      : base;
  return { dir: abs, model };
}

/**
 * Vectors from a local transformers.js model (ONNX on onnxruntime-node, CPU): mean pooled over the
 * attention mask and L2-normalised, as sentence-transformers models are meant to be used. Nothing is
 * ever fetched: remote models are off and the library (an optional install, transformers-library.ts)
 * is imported only when this embedder first runs; its absence is a ConfigError at construction.
 */
export class TransformersEmbedder extends TextEmbedder {
  readonly provider = PROVIDER;
  readonly model: string;
  readonly modelDir: string;
  private readonly batchSize: number;
  private readonly log: Logger;
  private extractor: Promise<FeatureExtractor> | null = null;

  constructor(readonly options: TransformersEmbedderOptions) {
    super(options.db, (options.batchSize ?? DEFAULT_TRANSFORMERS_BATCH) * 4);
    const info = inspectModelDir(options.modelDir);
    assertTransformersInstalled(options.libraryProject);
    this.modelDir = info.dir;
    this.model = info.model;
    this.batchSize = options.batchSize ?? DEFAULT_TRANSFORMERS_BATCH;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new ConfigError(`batchSize must be a positive integer, got ${this.batchSize}`);
    }
    this.log = (options.logger ?? rootLogger).child({ module: 'embed-transformers', model: this.model });
  }

  /** Unit vectors for texts, in order, computed `batchSize` texts at a time. */
  async embedTexts(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const extractor = await this.load();
    const out: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      let rows: number[][];
      try {
        const tensor = await extractor(batch, { pooling: 'mean', normalize: true });
        rows = tensor.tolist() as number[][];
      } catch (cause) {
        throw new TransformersError(`the model in ${this.modelDir} failed on a batch: ${errorText(cause)}`, {
          modelDir: this.modelDir,
          texts: batch.length,
        });
      }
      out.push(...this.checked(rows, batch.length));
    }
    return out;
  }

  /** Releases the onnxruntime session. */
  async dispose(): Promise<void> {
    const pending = this.extractor;
    this.extractor = null;
    if (pending) await (await pending.catch(() => null))?.dispose();
  }

  private checked(rows: number[][], expected: number): number[][] {
    const dim = rows[0]?.length ?? 0;
    if (rows.length !== expected || dim === 0) {
      throw new TransformersError(
        `the model in ${this.modelDir} returned ${rows.length} vectors of dim ${dim} for ${expected} texts`,
        { modelDir: this.modelDir },
      );
    }
    for (const row of rows) {
      // A model without last_hidden_state-shaped output, or NaN weights, would poison the index.
      if (row.length !== dim || !row.every(Number.isFinite)) {
        throw new TransformersError(`the model in ${this.modelDir} returned a ragged or non-finite vector`, {
          modelDir: this.modelDir,
        });
      }
    }
    if (this.dimension !== null && this.dimension !== dim) {
      throw new TransformersError(`the model returned dim ${dim} after dim ${this.dimension}`, {
        modelDir: this.modelDir,
      });
    }
    this.dimension = dim;
    return rows;
  }

  private load(): Promise<FeatureExtractor> {
    this.extractor ??= this.open().catch((err: unknown) => {
      this.extractor = null;
      throw err;
    });
    return this.extractor;
  }

  private async open(): Promise<FeatureExtractor> {
    const started = performance.now();
    const { env, pipeline } = await loadTransformers(this.options.libraryProject);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    // The file cache would key local files by name only and write under node_modules.
    env.useFSCache = false;
    const base = path.basename(this.modelDir);
    const id = MODEL_ID.test(base) && !base.includes('..') && !base.includes('--') ? base : this.modelDir;
    env.localModelPath = path.dirname(this.modelDir);
    try {
      const extractor = await pipeline('feature-extraction', id, {
        local_files_only: true,
        dtype: 'fp32',
        device: 'cpu',
      });
      this.log.info({ modelDir: this.modelDir, ms: Math.round(performance.now() - started) }, 'model loaded');
      return extractor;
    } catch (cause) {
      throw new TransformersError(`could not load the model in ${this.modelDir}: ${errorText(cause)}`, {
        modelDir: this.modelDir,
      });
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

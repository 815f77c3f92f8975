import { z } from 'zod';
import { RagError } from '../errors.ts';
import { type Logger, logger as rootLogger } from '../log.ts';
import type { Queryable } from '../store/db.ts';
import { TextEmbedder } from './text-embedder.ts';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_EMBEDDINGS_MODEL = 'text-embedding-3-small';
const PROVIDER = 'openai';

export interface OpenAiEmbedderOptions {
  /** Base URL of an OpenAI-compatible API (OpenAI, Ollama's /v1, LM Studio, vLLM, ...). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <key>` when set; local servers usually need none. */
  apiKey?: string | undefined;
  model?: string;
  /** Texts per request. */
  batchSize?: number;
  /** Characters per request: keeps a batch of long chunks under the provider's token limit. */
  maxBatchChars?: number;
  /** Retries of a request after 429, 5xx or a network error. */
  maxRetries?: number;
  /** First backoff step; doubled on each retry, with jitter. */
  retryBaseMs?: number;
  /** A `retry-after` longer than this fails at once instead of stalling the ingest. */
  maxRetryDelayMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * The store the vectors go to. When given, `embedChunks` checks its embedding space before
   * handing vectors to the ingest, so a mismatched embedder fails the video instead of mixing spaces.
   */
  db?: Queryable;
  logger?: Logger;
}

export const DEFAULT_OPENAI_EMBEDDER = {
  baseUrl: OPENAI_BASE_URL,
  model: DEFAULT_EMBEDDINGS_MODEL,
  batchSize: 64,
  maxBatchChars: 100_000,
  maxRetries: 3,
  retryBaseMs: 500,
  maxRetryDelayMs: 60_000,
  timeoutMs: 60_000,
} as const;

/** A failed embeddings call: the HTTP status (null for network errors) and the provider's message. */
export class EmbeddingError extends RagError {
  constructor(
    message: string,
    readonly status: number | null,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super('embedding_failed', message, { status, ...context }, options);
    this.name = 'EmbeddingError';
  }
}

/**
 * Splits texts into request batches of at most `maxTexts` texts and `maxChars` characters (a text
 * longer than the budget goes alone: the provider decides whether it fits). Returns index ranges.
 */
export function planBatches(
  lengths: readonly number[],
  maxTexts: number,
  maxChars: number,
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    if (i > start && (i - start >= maxTexts || chars + len > maxChars)) {
      out.push({ start, end: i });
      start = i;
      chars = 0;
    }
    chars += len;
  }
  if (lengths.length > start) out.push({ start, end: lengths.length });
  return out;
}

const responseSchema = z.object({
  data: z.array(
    z.object({
      index: z.number().int().min(0),
      embedding: z.array(z.number()).min(1),
    }),
  ),
});

/** Validates a response body and returns its vectors in input order, L2-normalised. */
export function parseEmbeddings(body: unknown, expected: number): number[][] {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`unexpected response shape: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const { data } = parsed.data;
  if (data.length !== expected) throw new Error(`expected ${expected} embeddings, got ${data.length}`);
  const ordered: (number[] | undefined)[] = new Array(expected);
  for (const item of data) {
    if (item.index >= expected || ordered[item.index]) {
      throw new Error(`embedding index ${item.index} is out of range or repeated`);
    }
    ordered[item.index] = item.embedding;
  }
  const dim = data[0]?.embedding.length ?? 0;
  return ordered.map((v, i) => {
    if (v!.length !== dim) throw new Error(`embedding ${i} has dim ${v!.length}, embedding 0 has dim ${dim}`);
    const unit = l2normalize(v!);
    if (!unit) throw new Error(`embedding ${i} is a zero vector`);
    return unit;
  });
}

/** The unit vector in v's direction; null for a zero vector (no direction to compare by cosine). */
export function l2normalize(v: readonly number[]): number[] | null {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0 || !Number.isFinite(norm)) return null;
  return v.map((x) => x / norm);
}

/** The provider's error text from an OpenAI-style `{error: {message}}` body, or the body itself. */
export function providerMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    const shape = z.union([
      z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
      z.object({ error: z.string() }).transform((b) => b.error),
      z.object({ detail: z.string() }).transform((b) => b.detail),
      z.object({ message: z.string() }).transform((b) => b.message),
    ]);
    const parsed = shape.safeParse(body);
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: the raw text is the message
  }
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed || '(empty body)';
}

/** Milliseconds the provider asks to wait (`retry-after-ms`, `retry-after` in seconds or as a date). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const isRetryableStatus = (status: number) => status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Vectors from any OpenAI-compatible `/embeddings` endpoint. The model's dimension is learned from
 * the first response; the store's embedding space is checked before vectors are used or written
 * and recorded (with its HNSW index) after an ingest.
 */
export class OpenAiEmbedder extends TextEmbedder {
  readonly provider = PROVIDER;
  readonly model: string;
  private readonly url: string;
  private readonly settings: Required<
    Omit<OpenAiEmbedderOptions, 'apiKey' | 'db' | 'logger' | 'fetch' | 'baseUrl' | 'model'>
  >;
  private readonly fetchFn: typeof fetch;
  private readonly log: Logger;

  constructor(private readonly options: OpenAiEmbedderOptions = {}) {
    super(options.db, (options.batchSize ?? DEFAULT_OPENAI_EMBEDDER.batchSize) * 4);
    this.model = options.model ?? DEFAULT_OPENAI_EMBEDDER.model;
    this.url = `${(options.baseUrl ?? DEFAULT_OPENAI_EMBEDDER.baseUrl).replace(/\/+$/, '')}/embeddings`;
    this.settings = {
      batchSize: options.batchSize ?? DEFAULT_OPENAI_EMBEDDER.batchSize,
      maxBatchChars: options.maxBatchChars ?? DEFAULT_OPENAI_EMBEDDER.maxBatchChars,
      maxRetries: options.maxRetries ?? DEFAULT_OPENAI_EMBEDDER.maxRetries,
      retryBaseMs: options.retryBaseMs ?? DEFAULT_OPENAI_EMBEDDER.retryBaseMs,
      maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULT_OPENAI_EMBEDDER.maxRetryDelayMs,
      timeoutMs: options.timeoutMs ?? DEFAULT_OPENAI_EMBEDDER.timeoutMs,
    };
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.log = (options.logger ?? rootLogger).child({ module: 'embed-openai', model: this.model });
  }

  /** Vectors for texts, in order, L2-normalised; batched and retried. */
  async embedTexts(texts: readonly string[]): Promise<number[][]> {
    const out: number[][] = [];
    const batches = planBatches(
      texts.map((t) => t.length),
      this.settings.batchSize,
      this.settings.maxBatchChars,
    );
    for (const { start, end } of batches) {
      const vectors = await this.request(texts.slice(start, end));
      const dim = vectors[0]!.length;
      if (this.dimension !== null && this.dimension !== dim) {
        throw new EmbeddingError(
          `the embeddings endpoint returned vectors of dim ${dim} after dim ${this.dimension} (${this.model})`,
          200,
          { model: this.model, url: this.url },
        );
      }
      this.dimension = dim;
      out.push(...vectors);
    }
    return out;
  }

  private async request(input: string[]): Promise<number[][]> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const body = JSON.stringify({ model: this.model, input });
    const context = { model: this.model, url: this.url, texts: input.length };
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      let text: string;
      try {
        res = await this.fetchFn(this.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        text = await res.text();
      } catch (cause) {
        if (attempt < this.settings.maxRetries) {
          await this.backoff(attempt, null, `network error: ${String(cause)}`);
          continue;
        }
        throw new EmbeddingError(
          `embeddings request to ${this.url} failed after ${attempt + 1} attempts: ${errorText(cause)}`,
          null,
          { ...context, attempts: attempt + 1 },
          { cause },
        );
      }
      if (res.ok) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new EmbeddingError(
            `embeddings response from ${this.url} is not JSON: ${providerMessage(text)}`,
            res.status,
            context,
          );
        }
        try {
          return parseEmbeddings(json, input.length);
        } catch (err) {
          throw new EmbeddingError(
            `embeddings response from ${this.url} is invalid: ${errorText(err)}`,
            res.status,
            context,
          );
        }
      }
      const message = providerMessage(text);
      const wait = retryAfterMs(res.headers);
      const tooLong = wait !== null && wait > this.settings.maxRetryDelayMs;
      if (isRetryableStatus(res.status) && attempt < this.settings.maxRetries && !tooLong) {
        await this.backoff(attempt, wait, `HTTP ${res.status}: ${message}`);
        continue;
      }
      const after = tooLong ? ` (the provider asks to retry after ${Math.ceil(wait / 1000)} s)` : '';
      throw new EmbeddingError(
        `embeddings request failed with HTTP ${res.status} (${this.model}): ${message}${after}`,
        res.status,
        { ...context, attempts: attempt + 1 },
      );
    }
  }

  private async backoff(attempt: number, retryAfter: number | null, reason: string): Promise<void> {
    const base = this.settings.retryBaseMs * 2 ** attempt;
    const delay = retryAfter ?? Math.min(this.settings.maxRetryDelayMs, base + Math.random() * base);
    this.log.warn({ attempt: attempt + 1, delayMs: Math.round(delay), reason }, 'embeddings request retried');
    await sleep(delay);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    // fetch hides the socket error in `cause` ("fetch failed" alone says nothing).
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

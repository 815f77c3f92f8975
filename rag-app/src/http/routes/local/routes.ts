import { timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { z } from 'zod';
import { errorMessage, RagError } from '../../../errors.ts';
import { runError } from '../../../store/sync-runs.ts';
import { emptyPlan } from '../../../sync/plan.ts';
import type { SourceItem } from '../../../types.ts';
import { localAskBody, localSearchBody, sourceItemSchema } from './schema.ts';

export { localAskBody, localSearchBody, sourceItemSchema };

import type { AppEnv, Service } from '../../context.ts';
import { ApiError, knownStatus } from '../../errors.ts';
import { parseWith } from '../../validate.ts';

/**
 * The local API: what `rag ask|search|stats|ingest` use while this server holds the embedded store
 * (a second process must not open it). Reached only from this machine, with the per-process token
 * the server wrote into the store's owner.json (mode 0600). It runs the same core calls as the CLI
 * would in-process, so the CLI prints exactly what it prints without a server. Answers are NDJSON:
 * zero or more progress lines, then one `{ "result": … }` or `{ "error": … }` line.
 */

export const LOCAL_TOKEN_HEADER = 'x-rag-local-token';
export const LOCAL_PREFIX = '/_local/v1';
/** One NDJSON line of an ingest upload: a transcript is rarely above a megabyte. */
export const MAX_ITEM_BYTES = 32 * 1024 * 1024;

/** An error as the CLI shows it: a RagError keeps its code, anything else only its message. */
export interface LocalError {
  code: string | null;
  message: string;
}

export function toLocalError(err: unknown): LocalError {
  if (err instanceof RagError || err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: null, message: errorMessage(err) };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const normalise = (addr: string | undefined) => (addr ?? '').replace(/^::ffff:/, '');

/** A connection from this machine: loopback, or from the very address it reached us on. */
export function isSameMachine(remote: string | undefined, local: string | undefined): boolean {
  const r = normalise(remote);
  if (r === '::1' || r.startsWith('127.')) return true;
  return r !== '' && r === normalise(local);
}

/** Reads an NDJSON request body line by line, each line at most `maxBytes`. */
export async function* ndjsonLines(body: ReadableStream<Uint8Array> | null, maxBytes: number) {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) yield line;
      nl = buffered.indexOf('\n');
    }
    if (buffered.length > maxBytes)
      throw new ApiError(413, 'item_too_large', `a line is over ${maxBytes} bytes`);
  }
  buffered += decoder.decode();
  if (buffered.trim()) yield buffered;
}

function parseLine(line: string, n: number): SourceItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ApiError(400, 'bad_json', `line ${n} is not valid JSON: ${(err as Error).message}`);
  }
  return parseWith(sourceItemSchema, value);
}

async function readBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch (err) {
    throw new ApiError(400, 'bad_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  return parseWith(schema, value);
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

export type LocalDeps = Pick<Service, 'rag' | 'db' | 'syncer' | 'logger'>;

export function localRoutes(deps: LocalDeps, token: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { rag, syncer, db, logger } = deps;

  app.use(`${LOCAL_PREFIX}/*`, async (c, next) => {
    const socket = c.env?.incoming?.socket;
    if (!isSameMachine(socket?.remoteAddress, socket?.localAddress)) {
      throw new ApiError(403, 'local_only', 'the local API answers only processes on this machine');
    }
    const sent = c.req.header(LOCAL_TOKEN_HEADER) ?? '';
    if (!sameToken(sent, token))
      throw new ApiError(401, 'bad_local_token', 'missing or wrong local API token');
    return next();
  });
  // Core errors come back verbatim: the caller is the operator's own CLI.
  app.onError((err, c) => c.json({ error: toLocalError(err) }, knownStatus(err) ?? 500));

  app.get(`${LOCAL_PREFIX}/stats`, async (c) => c.json({ result: await rag.stats() }));

  app.post(`${LOCAL_PREFIX}/search`, async (c) => {
    const body = await readBody(c, localSearchBody);
    try {
      return c.json({ result: await rag.search(body.query, body.options) });
    } catch (err) {
      return c.json({ error: toLocalError(err) });
    }
  });

  app.post(`${LOCAL_PREFIX}/ask`, async (c) => {
    const body = await readBody(c, localAskBody);
    c.header('Content-Type', 'application/x-ndjson');
    return stream(c, async (out) => {
      const abort = new AbortController();
      out.onAbort(() => abort.abort());
      let written: Promise<unknown> = Promise.resolve();
      const onToken = (text: string) => {
        written = written.then(() => out.write(line({ token: text })));
      };
      try {
        const result = await rag.ask(body.question, {
          ...body.options,
          signal: abort.signal,
          ...(body.stream ? { onToken } : {}),
        });
        await written;
        await out.write(line({ result }));
      } catch (err) {
        await written.catch(() => undefined);
        if (!out.aborted) await out.write(line({ error: toLocalError(err) }));
      }
    });
  });

  /**
   * `rag ingest` beside the server: the CLI reads its sources and uploads the items (NDJSON), the
   * server ingests them under the same lease as every other ingestion, so it sees the new videos
   * at once; each item's result comes back as it is stored.
   */
  app.post(`${LOCAL_PREFIX}/ingest`, async (c) => {
    let uploadError: unknown;
    async function* items(): AsyncGenerator<SourceItem> {
      let n = 0;
      try {
        for await (const text of ndjsonLines(c.req.raw.body, MAX_ITEM_BYTES)) yield parseLine(text, ++n);
      } catch (err) {
        uploadError = err;
        throw err;
      }
    }
    const progress: string[] = [];
    let wake: (() => void) | undefined;
    const push = (value: unknown) => {
      progress.push(line(value));
      wake?.();
    };
    // Taken before answering: a busy lease is a plain 409 the CLI shows as one line.
    const { runId, done } = await syncer.start('cli-ingest', emptyPlan(), {
      items: items(),
      onItem: (item, n) => push({ item, done: n }),
    });
    logger.info({ runId }, 'ingest from the CLI started');
    let finished = false;
    const outcome = done.then(
      async (summary) => {
        if (summary) return { result: summary };
        const error = await runError(db, runId);
        const cause = uploadError ?? new RagError('ingest_failed', error ?? `see sync run ${runId}`);
        return { error: toLocalError(cause) };
      },
      (err: unknown) => ({ error: toLocalError(err) }),
    );
    void outcome.finally(() => {
      finished = true;
      wake?.();
    });
    c.header('Content-Type', 'application/x-ndjson');
    return stream(c, async (out) => {
      for (;;) {
        while (progress.length > 0) {
          await out.write(progress.shift() as string);
        }
        if (finished) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      await out.write(line(await outcome));
    });
  });

  return app;
}

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings API (POST /v1/embeddings), for
 * tests that drive the real OpenAiEmbedder over fetch. Vectors are a hashed bag of words (not
 * normalised), so texts sharing words are near each other; replies can be scripted per request
 * (errors with headers, raw bodies, shuffled order). Every request is recorded.
 *
 *   const server = await startEmbeddingsServer({ dim: 64, apiKey: 'k' });
 *   new OpenAiEmbedder({ baseUrl: server.url, apiKey: 'k', model: 'm' });
 *   ...; server.requests[0].body.input; await server.close();
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveHttp } from '@dark-factory/kit/testing';

export interface EmbeddingsRequestBody {
  model: string;
  input: string | string[];
  [key: string]: unknown;
}

export interface RecordedEmbeddingsRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: EmbeddingsRequestBody | null;
}

export type EmbeddingsReply =
  /** The normal reply; `shuffle` returns the items in reverse order (clients must use `index`). */
  | { kind: 'ok'; shuffle?: boolean }
  /** An OpenAI-style error body `{error: {message, type}}`. */
  | { kind: 'error'; status: number; message: string; type?: string; headers?: Record<string, string> }
  /** Any body, for malformed responses. */
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> };

/** Replies by request number (missing entries: `ok`), or a function choosing one (undefined: `ok`). */
export type EmbeddingsScript =
  | EmbeddingsReply[]
  | ((request: RecordedEmbeddingsRequest, index: number) => EmbeddingsReply | undefined);

export interface EmbeddingsServerOptions {
  dim?: number;
  /** When set, a request without `Authorization: Bearer <apiKey>` gets a 401. */
  apiKey?: string;
  script?: EmbeddingsScript;
}

export interface EmbeddingsServer {
  /** Base URL including `/v1`, as OpenAI's clients take it. */
  url: string;
  requests: RecordedEmbeddingsRequest[];
  /** The inputs of the requests the server answered with vectors. */
  embeddedBatches(): string[][];
  close(): Promise<void>;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// Words a real model gives little weight; without this the shared filler of test transcripts dominates.
const STOPWORDS = new Set(
  'the and for with from that this what which where when how who are was were can you your our of in on to a an is it we keep part talk general terms'.split(
    ' ',
  ),
);

/**
 * The server's deterministic vector for a text: each word adds 1 + ln(tf) with a hashed sign in four
 * hashed buckets (a count sketch), so shared words align and chance collisions mostly cancel out;
 * the sublinear tf keeps a word repeated all over a transcript from dominating, as in real models.
 */
export function bagOfWordsVector(text: string, dim: number): number[] {
  const tf = new Map<string, number>();
  for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    if (raw.length < 3 || STOPWORDS.has(raw)) continue;
    const word = raw.length > 4 && raw.endsWith('s') ? raw.slice(0, -1) : raw;
    tf.set(word, (tf.get(word) ?? 0) + 1);
  }
  const v: number[] = new Array<number>(dim).fill(0);
  for (const [word, n] of tf) {
    for (let j = 0; j < 4; j++) {
      const h = fnv1a(`${j}:${word}`);
      v[h % dim]! += ((h >>> 16) & 1 ? 1 : -1) * (1 + Math.log(n));
    }
  }
  // A text without words still gets a direction, as real models give one.
  if (!v.some((x) => x !== 0)) v[0] = 1;
  return v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, type: string, headers = {}) {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

export async function startEmbeddingsServer(
  options: EmbeddingsServerOptions = {},
): Promise<EmbeddingsServer> {
  const dim = options.dim ?? 64;
  const requests: RecordedEmbeddingsRequest[] = [];
  const embedded: string[][] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    let body: EmbeddingsRequestBody | null = null;
    try {
      body = JSON.parse(raw) as EmbeddingsRequestBody;
    } catch {
      body = null;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const recorded: RecordedEmbeddingsRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
    };
    const index = requests.length;
    requests.push(recorded);

    if (req.method !== 'POST' || path !== '/v1/embeddings') {
      sendError(res, 404, `no route for ${req.method} ${path}`, 'invalid_request_error');
      return;
    }
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error');
      return;
    }
    const script = options.script;
    const reply: EmbeddingsReply = (typeof script === 'function'
      ? script(recorded, index)
      : script?.[index]) ?? { kind: 'ok' };
    if (reply.kind === 'error') {
      sendError(res, reply.status, reply.message, reply.type ?? 'invalid_request_error', reply.headers);
      return;
    }
    if (reply.kind === 'raw') {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body);
      return;
    }
    const input = typeof body?.input === 'string' ? [body.input] : body?.input;
    if (
      !body ||
      typeof body.model !== 'string' ||
      !Array.isArray(input) ||
      input.length === 0 ||
      !input.every((t) => typeof t === 'string' && t.length > 0)
    ) {
      sendError(
        res,
        400,
        "'input' must be a non-empty string or array of non-empty strings",
        'invalid_request_error',
      );
      return;
    }
    embedded.push(input);
    const data = input.map((text, i) => ({
      object: 'embedding',
      index: i,
      embedding: bagOfWordsVector(text, dim),
    }));
    if (reply.shuffle) data.reverse();
    const tokens = input.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    sendJson(res, 200, {
      object: 'list',
      data,
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const server = await serveHttp(handle, {
    path: '/v1',
    onError: (err, res) => sendError(res, 500, `embeddings test server: ${String(err)}`, 'server_error'),
  });
  return { url: server.url, requests, embeddedBatches: () => embedded, close: server.close };
}

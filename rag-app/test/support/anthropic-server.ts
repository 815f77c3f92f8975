/**
 * A real HTTP server on 127.0.0.1 speaking the Anthropic Messages API (POST /v1/messages), for
 * tests that drive the real SDK client: JSON replies, SSE streams with the API's event sequence,
 * and scripted errors (401, 429, 529, or an `error` event mid-stream). Every request is recorded,
 * headers included, so tests can check the prompt and the key (`requestApiKey`).
 *
 *   const server = await startAnthropicServer([{ text: 'PIV stands for plan, implement, validate [1].' }]);
 *   new Anthropic({ apiKey: 'test-key', baseURL: server.url });
 *   ...; server.requests[0].body.messages; await server.close();
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveHttp } from '@dark-factory/kit/testing';

export interface MessageReply {
  kind?: 'message';
  text: string;
  /** How the text is cut into text_delta events; default: word by word. */
  chunks?: string[];
  model?: string;
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence';
  usage?: { input_tokens: number; output_tokens: number };
  /** Pause before each streamed delta, to test aborts and streaming order. */
  delayMs?: number;
}

export interface ErrorReply {
  kind: 'error';
  status: number;
  /** API error type, e.g. authentication_error, rate_limit_error, overloaded_error. */
  type: string;
  message: string;
  headers?: Record<string, string>;
}

/** A stream that starts normally, sends `textBefore`, then an SSE `error` event (as the API does when overloaded mid-stream). */
export interface StreamErrorReply {
  kind: 'stream-error';
  textBefore: string;
  type: string;
  message: string;
}

export type AnthropicReply = MessageReply | ErrorReply | StreamErrorReply;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (null when it was not JSON). */
  body: MessagesRequestBody | null;
  rawBody: string;
}

export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  system?: string | { type: string; text: string }[];
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
  stream?: boolean;
  [key: string]: unknown;
}

/** A list of replies served in order, or a function choosing the reply per request. */
export type AnthropicScript =
  | AnthropicReply[]
  | ((request: RecordedRequest, index: number) => AnthropicReply | Promise<AnthropicReply>);

export interface AnthropicServerOptions {
  /**
   * When set, requests that do not carry this key get a 401 authentication_error, as the API does.
   * The key is accepted from `x-api-key` or `Authorization: Bearer` (SDK 1.x sends the latter).
   */
  apiKey?: string;
  /** Model reported when a reply does not name one; defaults to the request's model. */
  model?: string;
}

export interface AnthropicServer {
  /** Base URL for the SDK's `baseURL` (no trailing slash). */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The API key a request carried, from `x-api-key` or `Authorization: Bearer <key>`. */
export function requestApiKey(request: RecordedRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return bearer?.[1] ?? null;
}

/** The text of a request's messages (user turns joined), for assertions on the prompt. */
export function requestText(body: MessagesRequestBody | null): string {
  if (!body) return '';
  return body.messages
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : m.content.map((part) => ('text' in part ? part.text : '')).join(''),
    )
    .join('\n');
}

export function systemText(body: MessagesRequestBody | null): string {
  if (!body?.system) return '';
  return typeof body.system === 'string' ? body.system : body.system.map((b) => b.text).join('\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers = {}): void {
  const requestId = `req_${randomUUID().replace(/-/g, '')}`;
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function words(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

function estimateUsage(reply: MessageReply, rawBody: string) {
  return (
    reply.usage ?? { input_tokens: Math.ceil(rawBody.length / 4), output_tokens: words(reply.text).length }
  );
}

function messageJson(
  reply: MessageReply,
  model: string,
  usage: { input_tokens: number; output_tokens: number },
) {
  return {
    id: `msg_${randomUUID().replace(/-/g, '')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: reply.text }],
    stop_reason: reply.stopReason ?? 'end_turn',
    stop_sequence: null,
    usage,
  };
}

async function streamReply(
  res: ServerResponse,
  reply: MessageReply | StreamErrorReply,
  model: string,
  rawBody: string,
): Promise<void> {
  const requestId = `req_${randomUUID().replace(/-/g, '')}`;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': requestId,
  });
  const send = (event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const text = reply.kind === 'stream-error' ? reply.textBefore : reply.text;
  const message: MessageReply = reply.kind === 'stream-error' ? { text } : reply;
  const usage = estimateUsage(message, rawBody);
  const start = messageJson(message, model, { input_tokens: usage.input_tokens, output_tokens: 1 });
  send('message_start', { type: 'message_start', message: { ...start, content: [], stop_reason: null } });
  send('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  send('ping', { type: 'ping' });
  const chunks = reply.kind !== 'stream-error' && reply.chunks ? reply.chunks : words(text);
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (message.delayMs) await sleep(message.delayMs);
    send('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: chunk },
    });
  }
  if (reply.kind === 'stream-error') {
    send('error', { type: 'error', error: { type: reply.type, message: reply.message } });
    res.end();
    return;
  }
  send('content_block_stop', { type: 'content_block_stop', index: 0 });
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: reply.stopReason ?? 'end_turn', stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

export async function startAnthropicServer(
  script: AnthropicScript,
  options: AnthropicServerOptions = {},
): Promise<AnthropicServer> {
  const requests: RecordedRequest[] = [];
  let served = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawBody = await readBody(req);
    let body: MessagesRequestBody | null = null;
    try {
      body = JSON.parse(rawBody) as MessagesRequestBody;
    } catch {
      body = null;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      rawBody,
    };
    requests.push(recorded);

    if (req.method !== 'POST' || path !== '/v1/messages') {
      sendError(res, 404, 'not_found_error', `no route for ${req.method} ${path}`);
      return;
    }
    if (options.apiKey !== undefined && requestApiKey(recorded) !== options.apiKey) {
      sendError(res, 401, 'authentication_error', 'invalid x-api-key');
      return;
    }
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages) || !body.max_tokens) {
      sendError(res, 400, 'invalid_request_error', 'body must be JSON with model, max_tokens and messages');
      return;
    }
    const index = served++;
    let reply: AnthropicReply | undefined;
    if (typeof script === 'function') reply = await script(recorded, index);
    else reply = script[index];
    if (!reply) {
      // A test that makes more calls than it scripted should fail loudly, not hang.
      sendError(res, 500, 'api_error', `anthropic test server: no scripted reply for request #${index + 1}`);
      return;
    }
    const model =
      (reply.kind === 'message' || reply.kind === undefined ? reply.model : undefined) ?? options.model;
    if (reply.kind === 'error') {
      sendError(res, reply.status, reply.type, reply.message, reply.headers);
    } else if (body.stream) {
      await streamReply(res, reply, model ?? body.model, rawBody);
    } else if (reply.kind === 'stream-error') {
      sendError(res, 529, reply.type, reply.message);
    } else {
      const usage = estimateUsage(reply, rawBody);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${randomUUID()}` });
      res.end(JSON.stringify(messageJson(reply, model ?? body.model, usage)));
    }
  };

  const server = await serveHttp(handle, {
    onError: (err, res) => sendError(res, 500, 'api_error', `anthropic test server: ${String(err)}`),
  });
  return { url: server.url, requests, close: server.close };
}

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  describeKey,
  type Fault,
  ModelStepSchema,
  parseScenario,
  type Scenario,
  type ScenarioBlock,
  type ScenarioInput,
  type ScenarioUsage,
} from './scenario.ts';

/**
 * The scripted model server: a real HTTP server on 127.0.0.1 speaking the Messages API
 * (`POST /v1/messages`, JSON or server-sent events when `stream: true`) that replays a scenario.
 * It checks what the real API would refuse (authentication, `anthropic-version`, the body's
 * shape, tool_use/tool_result pairing, a forced tool that is not offered) and the factory's own
 * `x-factory-*` routing headers. Every answer carries a `request-id` header and usage figures:
 * unless the scenario gives them, tokens are the request's characters / 4, and with
 * `cache_control` present the tools+system prefix counts as a cache write the first time the
 * server sees it and a cache read afterwards.
 */

export interface RecordedModelRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (the raw text when it was not JSON). */
  body: unknown;
  step: string | null;
  issue: number | null;
  attempt: number | null;
  stream: boolean;
  /** Index in `scenario.responses` of the response that answered (a fault included); null when none. */
  response: number | null;
  status: number;
}

export interface RemainingResponse {
  index: number;
  step: string;
  issue?: number | undefined;
  attempt?: number | undefined;
  note?: string | undefined;
}

export interface ScriptedModelServer {
  /** Base URL for the SDK (`baseURL`, ANTHROPIC_BASE_URL). */
  url: string;
  scenario: Scenario;
  requests: RecordedModelRequest[];
  /** Responses not consumed yet (a test usually expects none). */
  remaining(): RemainingResponse[];
  close(): Promise<void>;
}

export interface ScriptedModelServerOptions {
  scenario: Scenario | ScenarioInput;
  port?: number;
  /** When set, the key (`x-api-key` or `authorization: Bearer`) must equal it; any non-empty key otherwise. */
  apiKey?: string;
  /** Sent as `retry-after-ms` with every fault (default 1, so SDK retries do not wait). */
  retryAfterMs?: number;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

const FAULTS: Record<Fault, { type: string; message: string }> = {
  429: { type: 'rate_limit_error', message: 'scripted rate limit: please retry' },
  500: { type: 'api_error', message: 'scripted internal server error' },
  529: { type: 'overloaded_error', message: 'scripted overload: Overloaded' },
};

const HeadersSchema = z.object({
  'x-factory-step': ModelStepSchema,
  'x-factory-issue': z.string().regex(/^[1-9]\d*$/, 'an issue number (1, 2, …)'),
  'x-factory-attempt': z.string().regex(/^\d+$/, 'a round number (0, 1, …)'),
});

const BlockSchema = z.looseObject({ type: z.string().min(1) });
const RequestBodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(BlockSchema)]),
      }),
    )
    .min(1, 'messages: at least one message'),
  system: z
    .union([z.string(), z.array(z.looseObject({ type: z.literal('text'), text: z.string() }))])
    .optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1), input_schema: z.looseObject({}) })).optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() })
    .optional(),
  stream: z.boolean().optional(),
});
type RequestBody = z.infer<typeof RequestBodySchema>;

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startScriptedModelServer(
  options: ScriptedModelServerOptions,
): Promise<ScriptedModelServer> {
  const scenario = parseScenario(options.scenario);
  const consumed = scenario.responses.map(() => false);
  const faulted = scenario.responses.map(() => false);
  const seenPrefixes = new Set<string>();
  const requests: RecordedModelRequest[] = [];
  const retryAfterMs = options.retryAfterMs ?? 1;
  let requestCount = 0;
  let toolUseCount = 0;

  const remaining = (): RemainingResponse[] =>
    scenario.responses.flatMap((response, index) =>
      consumed[index]
        ? []
        : [
            {
              index,
              step: response.step,
              issue: response.issue,
              attempt: response.attempt,
              note: response.note,
            },
          ],
    );

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedModelRequest,
    id: number,
  ) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/messages') {
      throw new ApiFailure(
        404,
        'not_found_error',
        `scripted model server: ${req.method} ${path} is not served`,
      );
    }
    const text = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(text);
      record.body = json;
    } catch {
      record.body = text;
      throw new ApiFailure(400, 'invalid_request_error', 'request body is not JSON');
    }

    const key = credential(req);
    if (key === null) {
      throw new ApiFailure(
        401,
        'authentication_error',
        'an x-api-key or authorization: Bearer header is required',
      );
    }
    if (options.apiKey !== undefined && key !== options.apiKey) {
      throw new ApiFailure(401, 'authentication_error', 'invalid API key');
    }
    if (typeof req.headers['anthropic-version'] !== 'string') {
      throw new ApiFailure(400, 'invalid_request_error', 'anthropic-version header is required');
    }
    const routing = HeadersSchema.safeParse(req.headers);
    if (!routing.success) {
      throw new ApiFailure(
        400,
        'invalid_request_error',
        `scripted model server: bad x-factory-* headers: ${z.prettifyError(routing.error)}`,
      );
    }
    const step = routing.data['x-factory-step'];
    const issue = Number(routing.data['x-factory-issue']);
    const attempt = Number(routing.data['x-factory-attempt']);
    Object.assign(record, { step, issue, attempt });

    const parsed = RequestBodySchema.safeParse(json);
    if (!parsed.success) {
      throw new ApiFailure(
        400,
        'invalid_request_error',
        `invalid request body: ${z.prettifyError(parsed.error)}`,
      );
    }
    const body = parsed.data;
    record.stream = body.stream === true;
    checkConversation(body);

    const index = scenario.responses.findIndex(
      (response, i) =>
        !consumed[i] &&
        response.step === step &&
        (response.issue === undefined || response.issue === issue) &&
        (response.attempt === undefined || response.attempt === attempt),
    );
    if (index < 0) {
      const left = remaining();
      const listed = left.length === 0 ? 'none' : left.map((r) => `#${r.index} ${describeKey(r)}`).join('; ');
      throw new ApiFailure(
        400,
        'invalid_request_error',
        `scripted model server: no scripted response for ${describeKey({ step, issue, attempt })} ` +
          `(request ${id}; unconsumed responses: ${listed})`,
      );
    }
    record.response = index;
    const scripted = scenario.responses[index]!;
    if (scripted.fault !== undefined && !faulted[index]) {
      faulted[index] = true;
      const fault = FAULTS[scripted.fault];
      throw new ApiFailure(scripted.fault, fault.type, fault.message, {
        'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
        'retry-after-ms': String(retryAfterMs),
        'x-should-retry': 'true',
      });
    }
    consumed[index] = true;

    const content = scripted.content.map((block) =>
      toContentBlock(block, () => `toolu_scripted_${++toolUseCount}`),
    );
    const usage = {
      ...computeUsage(body, scripted.content, seenPrefixes),
      ...scenario.defaults?.usage,
      ...scripted.usage,
    };
    const message = {
      id: `msg_scripted_${id}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason:
        scripted.stopReason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: { ...usage, service_tier: 'standard' },
    };
    record.status = 200;
    if (body.stream) sendStream(res, message);
    else send(res, 200, message);
  };

  const server = createServer((req, res) => {
    requestCount += 1;
    const id = requestCount;
    res.setHeader('request-id', `req_scripted_${id}`);
    const record: RecordedModelRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      body: null,
      step: null,
      issue: null,
      attempt: null,
      stream: false,
      response: null,
      status: 0,
    };
    requests.push(record);
    handle(req, res, record, id).catch((err: unknown) => {
      const failure =
        err instanceof ApiFailure
          ? err
          : new ApiFailure(500, 'api_error', `scripted model server failed: ${(err as Error).message}`);
      record.status = failure.status;
      for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
      send(res, failure.status, {
        type: 'error',
        error: { type: failure.type, message: failure.message },
        request_id: `req_scripted_${id}`,
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    scenario,
    requests,
    remaining,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The SDK sends the key as `authorization: Bearer …`; older clients and curl use `x-api-key`. */
function credential(req: IncomingMessage): string | null {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return key;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return bearer ? bearer[1]! : null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiFailure(413, 'request_too_large', `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What the real API refuses about a conversation's tool calls. */
function checkConversation(body: RequestBody): void {
  const blocks = (content: string | Array<{ type: string }>) => (typeof content === 'string' ? [] : content);
  const ids = (content: string | Array<{ type: string }>, type: 'tool_use' | 'tool_result') =>
    blocks(content)
      .filter((block) => block.type === type)
      .map((block) => String((block as Record<string, unknown>)[type === 'tool_use' ? 'id' : 'tool_use_id']));

  body.messages.forEach((message, i) => {
    if (message.role === 'assistant') {
      const uses = ids(message.content, 'tool_use');
      if (uses.length === 0) return;
      const next = body.messages[i + 1];
      if (!next) {
        throw new ApiFailure(
          400,
          'invalid_request_error',
          `messages.${i}: the last message cannot hold a tool_use`,
        );
      }
      const results = next.role === 'user' ? ids(next.content, 'tool_result') : [];
      const missing = uses.filter((id) => !results.includes(id));
      if (missing.length > 0) {
        throw new ApiFailure(
          400,
          'invalid_request_error',
          `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}`,
        );
      }
    } else {
      const results = ids(message.content, 'tool_result');
      if (results.length === 0) return;
      const previous = body.messages[i - 1];
      const uses = previous?.role === 'assistant' ? ids(previous.content, 'tool_use') : [];
      const unknown = results.filter((id) => !uses.includes(id));
      if (unknown.length > 0) {
        throw new ApiFailure(
          400,
          'invalid_request_error',
          `messages.${i}: unexpected tool_use_id in tool_result blocks (no tool_use in the previous message): ${unknown.join(', ')}`,
        );
      }
    }
  });

  const choice = body.tool_choice;
  if (choice && choice.type !== 'none' && (body.tools ?? []).length === 0) {
    throw new ApiFailure(
      400,
      'invalid_request_error',
      'tool_choice may only be specified while providing tools',
    );
  }
  if (choice?.type === 'tool' && !(body.tools ?? []).some((tool) => tool.name === choice.name)) {
    throw new ApiFailure(
      400,
      'invalid_request_error',
      `tool_choice names a tool that is not offered: ${choice.name}`,
    );
  }
}

const tokens = (value: unknown) => (value === undefined ? 0 : Math.ceil(JSON.stringify(value).length / 4));

function computeUsage(
  body: RequestBody,
  content: ScenarioBlock[],
  seen: Set<string>,
): Required<ScenarioUsage> {
  const prefix = [body.tools ?? [], body.system ?? ''];
  const cached = JSON.stringify(prefix).includes('"cache_control"');
  const prefixTokens = tokens(body.tools) + tokens(body.system);
  const messageTokens = Math.max(1, tokens(body.messages));
  const output_tokens = Math.max(1, tokens(content));
  if (!cached) {
    return {
      input_tokens: prefixTokens + messageTokens,
      output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }
  const key = createHash('sha256')
    .update(JSON.stringify([body.model, prefix]))
    .digest('hex');
  const hit = seen.has(key);
  seen.add(key);
  return {
    input_tokens: messageTokens,
    output_tokens,
    cache_creation_input_tokens: hit ? 0 : prefixTokens,
    cache_read_input_tokens: hit ? prefixTokens : 0,
  };
}

type ContentBlock =
  | { type: 'text'; text: string; citations: null }
  | {
      type: 'tool_use';
      id: string;
      name: string;
      input: Record<string, unknown>;
      caller: { type: 'direct' };
    };

function toContentBlock(block: ScenarioBlock, nextId: () => string): ContentBlock {
  if (block.type === 'text') return { type: 'text', text: block.text, citations: null };
  return {
    type: 'tool_use',
    id: block.id ?? nextId(),
    name: block.name,
    input: block.input,
    caller: { type: 'direct' },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Pieces of at most `size` code points (a stream delivers text and tool input in chunks). */
function chunks(text: string, size = 24): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out.length > 0 ? out : [''];
}

interface StreamedMessage {
  content: ContentBlock[];
  stop_reason: string;
  usage: Required<ScenarioUsage> & { service_tier: string };
  [field: string]: unknown;
}

function sendStream(res: ServerResponse, message: StreamedMessage): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const { content, usage } = message;
  event('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  });
  event('ping', {});
  content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { ...block, text: '' } });
      for (const text of chunks(block.text))
        event('content_block_delta', { index, delta: { type: 'text_delta', text } });
    } else {
      event('content_block_start', { index, content_block: { ...block, input: {} } });
      for (const partial_json of chunks(JSON.stringify(block.input))) {
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
    }
    event('content_block_stop', { index });
  });
  event('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null },
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
    },
  });
  event('message_stop', {});
  res.end();
}

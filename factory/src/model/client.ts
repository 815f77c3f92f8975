import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { FactoryError, isFactoryError } from '../errors.ts';
import type { Usage } from '../runs/types.ts';
import type { BudgetGuard } from './budget.ts';
import type {
  ModelAttemptEvent,
  ModelClient,
  ModelRequest,
  ModelResponse,
  ModelUsageEvent,
} from './types.ts';

/**
 * The Messages API through `@anthropic-ai/sdk`. Per call: the budget guard first (over budget →
 * `budget_exceeded`, nothing sent), then one request (streamed or not) with the `x-factory-*`
 * headers and prompt caching on the system prompt and the last tool. Every HTTP attempt (the SDK
 * retries 429/5xx/overloaded itself) is reported through `onAttempt`; a successful call's usage
 * through `onUsage`. Failures become `FactoryError('model_error')` with status, type and request
 * id in the context. The API key never appears in an error message or context.
 */

export interface AnthropicModelClientOptions {
  apiKey: string;
  /** ANTHROPIC_BASE_URL: any Anthropic-compatible endpoint (the scripted server in tests). */
  baseURL?: string | undefined;
  /** SDK retries after 429/408/409/5xx/overloaded or a connection error (default 2). */
  maxRetries?: number;
  /** Stream responses (the SDK's stream helper and its final message). Default true. */
  stream?: boolean;
  /** Per HTTP attempt (default 10 minutes). */
  timeoutMs?: number;
  /** Checked before every call. */
  budget: Pick<BudgetGuard, 'check'>;
  /** Every HTTP attempt, retries included. Awaited; a failure here fails the call. */
  onAttempt?: (event: ModelAttemptEvent) => void | Promise<void>;
  /** After a successful call. Awaited; a failure here fails the call. */
  onUsage?: (event: ModelUsageEvent) => void | Promise<void>;
  /** The transport under the attempt reporter (default globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
}

interface CallContext {
  request: ModelRequest;
  streamed: boolean;
  httpAttempts: number;
  /** Errors thrown by onAttempt: kept here, because a throw inside fetch would be retried by the SDK. */
  reportErrors: unknown[];
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/** What the factory relies on in a response; anything else from the endpoint is passed through. */
const MessageSchema = z.object({
  model: z.string(),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullable(),
  usage: z.looseObject({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  }),
});

export function factoryHeaders(
  request: Pick<ModelRequest, 'step' | 'issue' | 'attempt'>,
): Record<string, string> {
  return {
    'x-factory-step': request.step,
    'x-factory-issue': String(request.issue),
    'x-factory-attempt': String(request.attempt),
  };
}

/** The request body: cache_control on the system block and on the last tool. */
export function messageParams(request: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const tools = request.tools.map((tool, index) =>
    index === request.tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool,
  );
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    system: [{ type: 'text', text: request.system, cache_control: EPHEMERAL }],
    messages: request.messages,
    ...(tools.length > 0 ? { tools, tool_choice: request.toolChoice } : {}),
  };
}

export function usageOf(usage: z.infer<typeof MessageSchema>['usage']): Usage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheCreationInputTokens: usage.cache_creation_input_tokens ?? 0,
    cacheReadInputTokens: usage.cache_read_input_tokens ?? 0,
  };
}

export class AnthropicModelClient implements ModelClient {
  private readonly sdk: Anthropic;
  private readonly calls = new AsyncLocalStorage<CallContext>();
  private readonly streamed: boolean;

  constructor(private readonly options: AnthropicModelClientOptions) {
    this.streamed = options.stream ?? true;
    const transport = options.fetch ?? globalThis.fetch;
    this.sdk = new Anthropic({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 600_000,
      fetch: (input, init) => this.reportingFetch(transport, input, init),
    });
  }

  async create(request: ModelRequest): Promise<ModelResponse> {
    await this.options.budget.check(request);
    const call: CallContext = { request, streamed: this.streamed, httpAttempts: 0, reportErrors: [] };
    const started = performance.now();
    const params = messageParams(request);
    const headers = factoryHeaders(request);

    let message: Anthropic.Message;
    let requestId: string | null;
    try {
      ({ message, requestId } = await this.calls.run(call, async () => {
        if (this.streamed) {
          const stream = this.sdk.messages.stream(params, { headers });
          const final = await stream.finalMessage();
          return { message: final, requestId: stream.request_id ?? null };
        }
        const { data, request_id } = await this.sdk.messages.create(params, { headers }).withResponse();
        return { message: data, requestId: request_id ?? null };
      }));
    } catch (err) {
      if (call.reportErrors.length > 0) throw call.reportErrors[0];
      throw this.modelError(err, call);
    }
    if (call.reportErrors.length > 0) throw call.reportErrors[0];

    const parsed = MessageSchema.safeParse(message);
    if (!parsed.success) {
      throw new FactoryError(
        'model_error',
        `model call (${describeCall(request)}) returned an unexpected response: ${z.prettifyError(parsed.error)}`,
        { ...callContext(call), requestId, reason: 'malformed_response' },
      );
    }
    const response: ModelResponse = {
      content: message.content,
      stopReason: message.stop_reason,
      usage: usageOf(parsed.data.usage),
      model: message.model,
      requestId,
    };
    await this.options.onUsage?.({
      step: request.step,
      issue: request.issue,
      attempt: request.attempt,
      model: request.model,
      responseModel: message.model,
      usage: response.usage,
      stopReason: response.stopReason,
      requestId,
      streamed: this.streamed,
      httpAttempts: call.httpAttempts,
      durationMs: Math.round(performance.now() - started),
    });
    return response;
  }

  /** Wraps the transport: every HTTP attempt the SDK makes passes here, retries included. */
  private async reportingFetch(
    transport: typeof globalThis.fetch,
    input: string | URL | Request,
    init: RequestInit | undefined,
  ): Promise<Response> {
    const call = this.calls.getStore();
    const retryHeader = new Headers(init?.headers).get('x-stainless-retry-count');
    const retry =
      retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : (call?.httpAttempts ?? 0);
    if (call) call.httpAttempts += 1;
    const started = performance.now();
    let response: Response;
    try {
      response = await transport(input, init);
    } catch (err) {
      await this.report(call, retry, started, { status: null, requestId: null, error: this.describe(err) });
      throw err;
    }
    const error = response.ok ? null : await errorSummary(response.clone());
    await this.report(call, retry, started, {
      status: response.status,
      requestId: response.headers.get('request-id'),
      error: error === null ? null : this.redact(error),
    });
    return response;
  }

  private async report(
    call: CallContext | undefined,
    retry: number,
    started: number,
    outcome: Pick<ModelAttemptEvent, 'status' | 'requestId' | 'error'>,
  ): Promise<void> {
    if (!call || !this.options.onAttempt) return;
    const { request } = call;
    try {
      await this.options.onAttempt({
        step: request.step,
        issue: request.issue,
        attempt: request.attempt,
        model: request.model,
        retry,
        streamed: call.streamed,
        durationMs: Math.round(performance.now() - started),
        ...outcome,
      });
    } catch (err) {
      call.reportErrors.push(err);
    }
  }

  private modelError(err: unknown, call: CallContext): FactoryError {
    if (isFactoryError(err)) return err;
    const context = { ...callContext(call) };
    let detail: string;
    if (err instanceof Anthropic.APIConnectionTimeoutError) {
      Object.assign(context, { status: null, type: 'timeout', requestId: null });
      detail = 'timed out';
    } else if (err instanceof Anthropic.APIUserAbortError) {
      Object.assign(context, { status: null, type: 'aborted', requestId: null });
      detail = 'aborted';
    } else if (err instanceof Anthropic.APIConnectionError) {
      Object.assign(context, { status: null, type: 'connection_error', requestId: null });
      detail = `connection failed: ${this.describe(err.cause ?? err)}`;
    } else if (err instanceof Anthropic.APIError) {
      const type = err.type ?? 'unknown_error';
      const message = this.redact(err.apiMessage ?? err.message);
      Object.assign(context, { status: err.status ?? null, type, requestId: err.requestID ?? null, message });
      detail = `${err.status === undefined ? 'stream error' : `HTTP ${err.status}`} ${type}: ${message}`;
    } else {
      Object.assign(context, { status: null, type: 'unexpected', requestId: null });
      detail = this.describe(err);
    }
    const retries = Math.max(0, call.httpAttempts - 1);
    return new FactoryError(
      'model_error',
      `model call (${describeCall(call.request)}) failed after ${call.httpAttempts} HTTP attempt(s) (${retries} retries): ${detail}`,
      context,
      { cause: err },
    );
  }

  private describe(err: unknown): string {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return this.redact(text).slice(0, 500);
  }

  private redact(text: string): string {
    const key = this.options.apiKey;
    return key.length > 0 ? text.split(key).join('[redacted]') : text;
  }
}

function describeCall(request: ModelRequest): string {
  return `${request.step}, issue #${request.issue}, attempt ${request.attempt}, ${request.model}`;
}

function callContext(call: CallContext): Record<string, unknown> {
  const { request } = call;
  return {
    step: request.step,
    issue: request.issue,
    attempt: request.attempt,
    model: request.model,
    streamed: call.streamed,
    httpAttempts: call.httpAttempts,
  };
}

/** `<type>: <message>` from an Anthropic-shaped error body, else the start of the body. */
async function errorSummary(response: Response): Promise<string> {
  const text = await response.text().catch((err: unknown) => `unreadable body (${String(err)})`);
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    if (body.error && typeof body.error.type === 'string') {
      return `${body.error.type}: ${String(body.error.message ?? '')}`.slice(0, 500);
    }
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${response.status}: ${text.slice(0, 300)}`;
}

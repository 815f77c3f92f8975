import { AnthropicError, APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { RagError } from '../errors.ts';

/** What went wrong talking to the model, coarse enough for a caller to act on (retry later, fix the key...). */
export const LLM_ERROR_KINDS = [
  'auth',
  'rate_limited',
  'overloaded',
  'bad_request',
  'unavailable',
  'api_error',
] as const;
export type LlmErrorKind = (typeof LLM_ERROR_KINDS)[number];

/** A failed model call. `code` is `llm_<kind>`; context holds status, API error type, request id and model. */
export class LlmError extends RagError {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`llm_${kind}`, message, context, options);
  }
}

const KIND_BY_TYPE: Record<string, LlmErrorKind> = {
  authentication_error: 'auth',
  permission_error: 'auth',
  billing_error: 'auth',
  rate_limit_error: 'rate_limited',
  overloaded_error: 'overloaded',
  invalid_request_error: 'bad_request',
  not_found_error: 'bad_request',
};

function kindOf(err: APIError): LlmErrorKind {
  const { status } = err;
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'bad_request';
  // Errors sent inside an SSE stream have no status, only the error type.
  return (err.type && KIND_BY_TYPE[err.type]) || 'api_error';
}

const MESSAGES: Record<LlmErrorKind, string> = {
  auth: 'the Anthropic API rejected the key (check ANTHROPIC_API_KEY)',
  rate_limited: 'the Anthropic API rate limit was reached; try again shortly',
  overloaded: 'the Anthropic API is overloaded; try again shortly',
  bad_request: 'the Anthropic API rejected the request',
  unavailable: 'could not reach the Anthropic API (check ANTHROPIC_BASE_URL and the network)',
  api_error: 'the Anthropic API failed',
};

/**
 * Classifies an error thrown by the SDK. An abort by the caller is returned unchanged (it is not a
 * model failure); anything not from the SDK is returned unchanged too, to surface as a crash.
 */
export function toLlmError(err: unknown, context: Record<string, unknown>): unknown {
  if (err instanceof APIUserAbortError) return err;
  if (err instanceof APIConnectionError) {
    return new LlmError('unavailable', `${MESSAGES.unavailable}: ${err.message}`, context, { cause: err });
  }
  if (err instanceof APIError) {
    const kind = kindOf(err);
    const detail = err.apiMessage ?? err.message;
    return new LlmError(
      kind,
      `${MESSAGES[kind]}: ${detail}`,
      { ...context, status: err.status ?? null, type: err.type ?? null, requestId: err.requestID ?? null },
      { cause: err },
    );
  }
  // A stream cut midway (the connection dropped after the reply started): not retried, its text was shown.
  if (err instanceof AnthropicError) {
    return new LlmError(
      'unavailable',
      `${MESSAGES.unavailable}: the reply broke off (${err.message})`,
      context,
      {
        cause: err,
      },
    );
  }
  return err;
}

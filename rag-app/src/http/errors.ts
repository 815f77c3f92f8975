import { DarkFactoryError } from '@dark-factory/kit';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AccountError, type AccountErrorCode } from '../accounts/errors.ts';
import { ConversationError, type ConversationErrorCode } from '../conversations/errors.ts';
import { RagError } from '../errors.ts';
import { LimitError, type LimitErrorCode } from '../limits/errors.ts';
import type { Logger } from '../log.ts';
import { SyncError, type SyncErrorCode } from '../sync/errors.ts';
import type { AppEnv } from './context.ts';

/** An error meant for the client: a stable `code`, a readable `message`, the HTTP status. */
export class ApiError extends DarkFactoryError {
  constructor(
    readonly status: ContentfulStatusCode,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, { status });
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Model failures worth retrying (LlmError codes from the answerer). */
const LLM_TRANSIENT = new Set(['llm_rate_limited', 'llm_overloaded', 'llm_unavailable']);

/** RagError codes that are the caller's fault, and the status they map to. */
const RAG_CLIENT_ERRORS: Record<string, ContentfulStatusCode> = {
  input_invalid: 400,
  not_found: 404,
};

type DomainError = AccountError | ConversationError | LimitError | SyncError;
type DomainErrorCode = AccountErrorCode | ConversationErrorCode | LimitErrorCode | SyncErrorCode;

/** The one map from what the domain refuses to the HTTP status a client sees. */
const DOMAIN_STATUS: Record<DomainErrorCode, ContentfulStatusCode> = {
  email_taken: 409,
  login_backoff: 429,
  admin_exists: 409,
  account_required: 403,
  conversation_not_found: 404,
  message_not_found: 404,
  forge_unavailable: 502,
  daily_cap_reached: 429,
  rate_limited: 429,
  sync_busy: 409,
  cannot_resync: 409,
};

function isDomainError(err: unknown): err is DomainError {
  return (
    err instanceof AccountError ||
    err instanceof ConversationError ||
    err instanceof LimitError ||
    err instanceof SyncError
  );
}

/** The status of an error the domain or this layer raised on purpose; undefined for anything else. */
export function knownStatus(err: unknown): ContentfulStatusCode | undefined {
  if (err instanceof ApiError) return err.status;
  if (isDomainError(err)) return DOMAIN_STATUS[err.code];
  return undefined;
}

export interface ClassifiedError {
  status: ContentfulStatusCode;
  code: string;
  message: string;
  headers: Record<string, string>;
}

/**
 * Sorts anything thrown into what the client may see. Known errors keep their message; anything
 * else is logged with its stack and shown only as a request id.
 */
export function classifyError(err: unknown, requestId: string, logger: Logger): ClassifiedError {
  const plain = (status: ContentfulStatusCode, code: string, message: string): ClassifiedError => ({
    status,
    code,
    message,
    headers: {},
  });
  if (err instanceof ApiError)
    return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (isDomainError(err)) {
    const wait = 'retryAfterSeconds' in err ? err.retryAfterSeconds : undefined;
    const headers: Record<string, string> = wait === undefined ? {} : { 'Retry-After': String(wait) };
    return { status: DOMAIN_STATUS[err.code], code: err.code, message: err.message, headers };
  }
  if (err instanceof HTTPException) {
    // Raised by Hono middleware (body limit, csrf origin check): give them our shape.
    const status = err.status as ContentfulStatusCode;
    if (status === 413) return plain(413, 'body_too_large', 'the request body is too large');
    if (status === 403) {
      return plain(
        403,
        'forbidden_origin',
        'form-type requests from another site (or with no Origin) are refused; send JSON with Content-Type: application/json',
      );
    }
    return plain(status, `http_${status}`, err.message || 'request refused');
  }
  if (err instanceof RagError) {
    const status = RAG_CLIENT_ERRORS[err.code];
    if (status) return plain(status, err.code, err.message);
    logger.error({ err, requestId, code: err.code, context: err.context }, 'request failed');
    if (err.code === 'store_error') {
      return plain(503, err.code, `the store is unavailable (request ${requestId})`);
    }
    if (LLM_TRANSIENT.has(err.code))
      return plain(503, err.code, 'the answering model is busy; please try again shortly');
    if (err.code.startsWith('llm_'))
      return plain(502, err.code, `the answering model failed (request ${requestId})`);
    return plain(500, err.code, err.message);
  }
  if (err instanceof Error && err.name === 'AbortError')
    return plain(499 as ContentfulStatusCode, 'aborted', 'the request was cancelled');
  logger.error({ err, requestId }, 'unexpected error');
  return plain(500, 'internal', `something went wrong on our side (request ${requestId})`);
}

export function toErrorResponse(err: unknown, c: Context<AppEnv>, logger: Logger): Response {
  const e = classifyError(err, c.get('requestId') ?? 'unknown', logger);
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json(errorBody(e.code, e.message), e.status);
}

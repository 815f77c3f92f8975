import { DarkFactoryError } from '@dark-factory/kit';
import type { AccountErrorCode } from './accounts/errors.ts';
import type { LlmErrorKind } from './answer/errors.ts';
import type { ConversationErrorCode } from './conversations/errors.ts';
import type { LimitErrorCode } from './limits/errors.ts';
import type { SyncErrorCode } from './sync/errors.ts';

export { errorMessage } from '@dark-factory/kit';

/**
 * Every code a RagError carries, in one list: a domain's error class narrows it to its own group
 * (`declare readonly code: AccountErrorCode`). Stable: the CLI prints it (`rag: <code>: …`) and
 * the API returns it.
 */
export type RagErrorCode =
  | 'config_invalid'
  | 'input_invalid'
  | 'usage'
  | 'not_found'
  | 'store_error'
  | 'store_in_use'
  | 'server_unreachable'
  | 'embedding_mismatch'
  | 'embedding_failed'
  | 'ingest_failed'
  | 'transcript_empty'
  | 'fetch_timeout'
  | 'youtube_fetch_failed'
  | 'youtube_no_videos'
  | `llm_${LlmErrorKind}`
  // What the service's domain modules refuse (accounts/, conversations/, limits/, sync/).
  | AccountErrorCode
  | ConversationErrorCode
  | LimitErrorCode
  | SyncErrorCode;

/** Typed errors with context. `code` is stable and safe to show; `message` is one readable line. */
export class RagError extends DarkFactoryError<RagErrorCode> {}

/**
 * An error the server holding the store sent back to the CLI (cli/remote.ts): its code is the
 * server's, a RagError's or the HTTP API's, so it is not narrowed to RagErrorCode.
 */
export class RemoteError extends DarkFactoryError<string> {}

export class ConfigError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('config_invalid', message, context);
  }
}

export class InputError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('input_invalid', message, context);
  }
}

export class StoreError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('store_error', message, context, options);
  }
}

export class EmbeddingMismatchError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('embedding_mismatch', message, context);
  }
}

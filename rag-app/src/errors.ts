/** Typed errors with context. `code` is stable and safe to show; `message` is one readable line. */
export class RagError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RagError';
  }
}

export class ConfigError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('config_invalid', message, context);
    this.name = 'ConfigError';
  }
}

export class InputError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('input_invalid', message, context);
    this.name = 'InputError';
  }
}

export class StoreError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('store_error', message, context, options);
    this.name = 'StoreError';
  }
}

export class EmbeddingMismatchError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('embedding_mismatch', message, context);
    this.name = 'EmbeddingMismatchError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

import { RagError } from '../errors.ts';

/** What the limits refuse; both say when to try again. http/errors.ts maps each code to a status. */
export type LimitErrorCode = 'daily_cap_reached' | 'rate_limited';

export class LimitError extends RagError {
  declare readonly code: LimitErrorCode;

  constructor(
    code: LimitErrorCode,
    message: string,
    /** Seconds until the next attempt can succeed (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

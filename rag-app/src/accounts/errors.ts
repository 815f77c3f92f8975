import { RagError } from '../errors.ts';

/** What accounts refuse, by a stable code; the HTTP layer maps each to a status (http/errors.ts). */
export type AccountErrorCode = 'email_taken' | 'login_backoff' | 'admin_exists' | 'account_required';

export class AccountError extends RagError {
  declare readonly code: AccountErrorCode;

  constructor(
    code: AccountErrorCode,
    message: string,
    /** When trying again makes sense, and after how long (login_backoff). */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
    this.name = 'AccountError';
  }
}

import { RagError } from '../errors.ts';

/** What the syncer refuses; http/errors.ts maps each code to a status. */
export type SyncErrorCode = 'sync_busy' | 'cannot_resync';

export class SyncError extends RagError {
  declare readonly code: SyncErrorCode;

  constructor(code: SyncErrorCode, message: string) {
    super(code, message);
  }
}

import { RagError } from '../errors.ts';

/** What conversations and problem reports refuse; http/errors.ts maps each code to a status. */
export type ConversationErrorCode = 'conversation_not_found' | 'message_not_found' | 'forge_unavailable';

export class ConversationError extends RagError {
  declare readonly code: ConversationErrorCode;

  constructor(code: ConversationErrorCode, message: string) {
    super(code, message);
  }
}

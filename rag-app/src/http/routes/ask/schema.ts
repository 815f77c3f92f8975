import { z } from 'zod';
import { isoDate, LIMITS, text, videoId } from '../../fields.ts';

export const askBody = z.strictObject({
  question: text('question', LIMITS.questionChars),
  conversationId: z.uuid('not a conversation id').optional(),
  videoId: videoId.optional(),
  k: z.number().int().min(1).max(LIMITS.maxAskK).optional(),
});

export const searchBody = z.strictObject({
  query: text('query', LIMITS.questionChars),
  k: z.number().int().min(1).max(LIMITS.maxSearchK).optional(),
  videoId: videoId.optional(),
  publishedAfter: isoDate.optional(),
  publishedBefore: isoDate.optional(),
});

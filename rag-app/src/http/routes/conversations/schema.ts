import { z } from 'zod';
import { LIMITS, text } from '../../fields.ts';

export const conversationCreate = z.strictObject({
  title: text('title', LIMITS.titleChars).optional(),
});

export const conversationRename = z.strictObject({
  title: text('title', LIMITS.titleChars),
});

export const searchQuery = z.strictObject({
  q: text('q', LIMITS.queryChars),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const exportQuery = z.strictObject({
  format: z.enum(['md', 'markdown']).default('md'),
});

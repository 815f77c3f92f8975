import type { z } from 'zod';

/** One readable line naming each bad field: `segments.3.offset: expected number`. */
export function formatZodError(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((i) => {
    const where = i.path.length > 0 ? i.path.map(String).join('.') : 'value';
    return `${where}: ${i.message}`;
  });
  const more = error.issues.length - max;
  return more > 0 ? `${parts.join('; ')} (and ${more} more)` : parts.join('; ');
}

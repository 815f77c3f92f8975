import { z } from 'zod';

/** An account's email as stored: trimmed, lower-case, at most 254 characters, a valid address. */
export const email = z
  .string({ error: 'email must be a string' })
  .trim()
  .toLowerCase()
  .max(254, 'email is too long')
  .pipe(z.email('not a valid email address'));

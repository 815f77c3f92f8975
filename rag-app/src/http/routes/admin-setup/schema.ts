import { z } from 'zod';

/** POST /api/admin-setup: the token from the link the server printed at start-up. */
export const adminSetupBody = z.strictObject({
  token: z.string({ error: 'token must be a string' }).min(1, 'token is empty').max(200, 'token is too long'),
});

import { z } from 'zod';
import { email } from '../../../accounts/email.ts';

export const credentials = z.strictObject({
  email,
  password: z
    .string({ error: 'password must be a string' })
    .min(8, 'password is too short (at least 8 characters)')
    .max(200, 'password is too long (at most 200 characters)'),
});

export const passwordChange = z.strictObject({
  currentPassword: z
    .string({ error: 'currentPassword must be a string' })
    .min(1, 'currentPassword is empty')
    .max(200),
  newPassword: credentials.shape.password,
});

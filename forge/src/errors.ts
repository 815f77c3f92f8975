import { DarkFactoryError } from '@dark-factory/kit';
import { z } from 'zod';
import { CommentBodySchema, ItemNumberSchema } from './types.ts';

export const ForgeErrorCodeSchema = z.enum([
  'not_found',
  'conflict',
  'auth',
  'rate_limited',
  'invalid',
  'unavailable',
  'corrupt',
]);
export type ForgeErrorCode = z.infer<typeof ForgeErrorCodeSchema>;

/**
 * Every forge failure surfaces as a ForgeError. `code` is stable and safe to branch on
 * (`invalid` = fix the input, `unavailable`/`rate_limited` = retry later, `corrupt` = a stored
 * file is damaged and needs a human); `context` names what was involved.
 */
export class ForgeError extends DarkFactoryError<ForgeErrorCode> {}

export function isForgeError(err: unknown, code?: ForgeErrorCode): err is ForgeError {
  return err instanceof ForgeError && (code === undefined || err.code === code);
}

/** Parse caller input, turning a zod failure into `invalid` with a readable message naming the fields. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  context: Record<string, unknown> = {},
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ForgeError('invalid', `invalid ${what}: ${z.prettifyError(parsed.error)}`, {
    ...context,
    issues: parsed.error.issues,
  });
}

/** An issue or pull request number as both forges take it (`invalid` otherwise). */
export function checkNumber(number: number): number {
  return parseInput(ItemNumberSchema, number, 'issue or pull request number', { number });
}

/** The optional comment of a close or reopen, checked before anything changes. */
export function optionalComment(comment: string | undefined, number: number): string | undefined {
  return comment === undefined ? undefined : parseInput(CommentBodySchema, comment, 'comment', { number });
}

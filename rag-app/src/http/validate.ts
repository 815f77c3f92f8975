import { describeZodIssues } from '@dark-factory/kit';
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.ts';

/** One readable line per zod failure, naming the field: "question: too long (at most 2000 characters)". */
export function describeIssues(error: z.ZodError): string {
  // Our own messages already name their field ("question is too long …").
  return describeZodIssues(error, { root: 'body', max: 3, unknownKeys: 'field', selfNamed: true });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, 'invalid_input', describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Reads a JSON body and validates it. A body that is not declared as JSON is refused rather than
 * skipped, so validation can never be bypassed by omitting the Content-Type.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'send the body as JSON with Content-Type: application/json',
    );
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'bad_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  return parseWith(schema, value);
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query());
}

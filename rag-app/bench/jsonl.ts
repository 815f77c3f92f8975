/** JSON Lines files the benchmark reads (the evals' formats), parsed line by line with one schema. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError } from '../src/errors.ts';

/**
 * Every non-blank line of `file` parsed by `schema`; throws naming the first line that is not JSON or
 * does not match (`invalid` words the schema failure), and a file with no lines as having no `noun`.
 */
export async function readJsonl<T>(
  file: string,
  schema: z.ZodType<T>,
  options: { noun: string; what: string; invalid: (issue: z.core.$ZodIssue) => string },
): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(
      `cannot read ${options.what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        file,
      },
    );
  }
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError(`${file}:${i + 1}: not JSON`, { file, line: i + 1 });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new InputError(`${file}:${i + 1}: ${options.invalid(parsed.error.issues[0]!)}`, {
        file,
        line: i + 1,
      });
    }
    out.push(parsed.data);
  });
  if (out.length === 0) throw new InputError(`${file}: no ${options.noun}`, { file });
  return out;
}

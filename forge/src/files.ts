import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ForgeError } from './errors.ts';
import { errnoCode } from './lock.ts';

/**
 * Write `value` as JSON so that readers see either the old file or the new one, never half:
 * write a temp file beside it, fsync, then rename over the target (atomic within a directory).
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new ForgeError('unavailable', `cannot write ${path}: ${String(err)}`, { path }, { cause: err });
  }
}

/**
 * Read and validate one JSON file. Missing gives undefined; anything unreadable or not matching
 * the schema is `corrupt`, naming the file and what is wrong, so damage is never silently skipped.
 */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new ForgeError('unavailable', `cannot read ${path}: ${String(err)}`, { path }, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ForgeError(
      'corrupt',
      `forge file ${path} is not valid JSON: ${(err as Error).message}`,
      { path },
      {
        cause: err,
      },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ForgeError(
      'corrupt',
      `forge file ${path} does not match its schema: ${z.prettifyError(parsed.error)}`,
      {
        path,
        issues: parsed.error.issues,
      },
    );
  }
  return parsed.data;
}

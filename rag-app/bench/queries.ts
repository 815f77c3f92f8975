/** The benchmark's questions: one JSONL file of `{ "query": "..." }` lines (the evals' format). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../src/errors.ts';

const lineSchema = z.object({ query: z.string().trim().min(1) });

/** Every query of a JSONL file; throws naming the line that is not valid. */
export async function readQueries(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read queries file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      file,
    });
  }
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError(`${file}:${i + 1}: not JSON`, { file, line: i + 1 });
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success)
      throw new InputError(`${file}:${i + 1}: expected {"query": "<non-empty text>"}`, { file, line: i + 1 });
    out.push(parsed.data.query);
  });
  if (out.length === 0) throw new InputError(`${file}: no queries`, { file });
  return out;
}

/**
 * `n` queries spread evenly over the file (the files are sorted by video, so the first n would all
 * be about the first few videos); the list repeats when n is larger than the file.
 */
export function pickQueries(all: readonly string[], n: number): string[] {
  if (n <= all.length) return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  return Array.from({ length: n }, (_, i) => all[i % all.length]!);
}

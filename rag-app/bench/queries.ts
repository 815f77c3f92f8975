/** The benchmark's questions: one JSONL file of `{ "query": "..." }` lines (the evals' format). */
import { z } from 'zod';
import { readJsonl } from './jsonl.ts';

const lineSchema = z.object({ query: z.string().trim().min(1) });

/** Every query of a JSONL file; throws naming the line that is not valid. */
export async function readQueries(file: string): Promise<string[]> {
  const lines = await readJsonl(file, lineSchema, {
    noun: 'queries',
    what: 'queries file',
    invalid: () => 'expected {"query": "<non-empty text>"}',
  });
  return lines.map((l) => l.query);
}

/**
 * `n` queries spread evenly over the file (the files are sorted by video, so the first n would all
 * be about the first few videos); the list repeats when n is larger than the file.
 */
export function pickQueries(all: readonly string[], n: number): string[] {
  if (n <= all.length) return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  return Array.from({ length: n }, (_, i) => all[i % all.length]!);
}

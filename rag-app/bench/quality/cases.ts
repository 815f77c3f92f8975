/** The evals' dev-set lines the quality benchmark scores: `{ id, kind, query, gold }` (JSON Lines). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../../src/errors.ts';

const goldSchema = z.object({ videoId: z.string().min(1), t: z.number().min(0).nullable() });

const caseSchema = z.object({
  id: z.string().min(1),
  kind: z.string().min(1),
  query: z.string().trim().min(1),
  gold: z.array(goldSchema).min(1, 'a retrieval case needs at least one gold entry'),
});
export type QualityCase = z.infer<typeof caseSchema>;

/** Every case of a JSONL file; throws naming the first line that is not a retrieval case. */
export async function readCases(file: string): Promise<QualityCase[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read dataset ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      file,
    });
  }
  const out: QualityCase[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError(`${file}:${i + 1}: not JSON`, { file, line: i + 1 });
    }
    const parsed = caseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InputError(`${file}:${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message}`, {
        file,
        line: i + 1,
      });
    }
    out.push(parsed.data);
  });
  if (out.length === 0) throw new InputError(`${file}: no cases`, { file });
  return out;
}

/** The evals' dev-set lines the quality benchmark scores: `{ id, kind, query, gold }` (JSON Lines). */
import { z } from 'zod';
import { readJsonl } from '../jsonl.ts';

const goldSchema = z.object({ videoId: z.string().min(1), t: z.number().min(0).nullable() });

const caseSchema = z.object({
  id: z.string().min(1),
  kind: z.string().min(1),
  query: z.string().trim().min(1),
  gold: z.array(goldSchema).min(1, 'a retrieval case needs at least one gold entry'),
});
export type QualityCase = z.infer<typeof caseSchema>;

/** Every case of a JSONL file; throws naming the first line that is not a retrieval case. */
export function readCases(file: string): Promise<QualityCase[]> {
  return readJsonl(file, caseSchema, {
    noun: 'cases',
    what: 'dataset',
    invalid: (issue) => `${issue.path.join('.') || 'line'}: ${issue.message}`,
  });
}

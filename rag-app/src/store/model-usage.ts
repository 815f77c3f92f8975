import type { Queryable } from './db.ts';

/** The `model_usage` table: one row per model-written answer (reserved first, its cost settled after). */

export async function deleteModelUsageUpTo(db: Queryable, cut: Date): Promise<void> {
  await db.query('DELETE FROM model_usage WHERE at <= $1', [cut]);
}

/** Answers and estimated spend (US dollars) after `since`. */
export async function modelUsageSince(
  db: Queryable,
  since: Date,
): Promise<{ answers: number; spent: number }> {
  const { rows } = await db.query<{ n: number; spent: number | null }>(
    'SELECT count(*)::int AS n, sum(cost_usd)::float8 AS spent FROM model_usage WHERE at > $1',
    [since],
  );
  return { answers: rows[0]?.n ?? 0, spent: Number(rows[0]?.spent ?? 0) };
}

export async function insertModelUsage(db: Queryable, at: Date): Promise<number> {
  const { rows } = await db.query<{ id: string }>('INSERT INTO model_usage (at) VALUES ($1) RETURNING id', [
    at,
  ]);
  return Number(rows[0]!.id);
}

export async function settleModelUsage(
  db: Queryable,
  id: number,
  usage: { inputTokens: number; outputTokens: number; costUsd: number },
): Promise<void> {
  await db.query(
    'UPDATE model_usage SET input_tokens = $2, output_tokens = $3, cost_usd = $4 WHERE id = $1',
    [id, usage.inputTokens, usage.outputTokens, usage.costUsd],
  );
}

export async function deleteModelUsage(db: Queryable, id: number): Promise<void> {
  await db.query('DELETE FROM model_usage WHERE id = $1', [id]);
}

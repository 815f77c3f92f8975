import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { AskResult } from '../types.ts';

const DAY_MS = 24 * 3600 * 1000;
const BUDGET_LOCK = 'model-budget';

export interface ModelBudgetStatus {
  /** Model-written answers in the last 24 h, all users together, and the cap. */
  answersToday: number;
  answerCap: number;
  /** Estimated spend in the last 24 h (tokens × MODEL_PRICE_*), and the cap, in US dollars. */
  spentUsd: number;
  spendCapUsd: number;
  /** True while either cap is reached: answers come from the offline answerer. */
  offline: boolean;
}

/**
 * The global daily caps on what the model may cost (MODEL_DAILY_ANSWER_CAP, MODEL_DAILY_SPEND_USD),
 * over a sliding 24 h. Guests cost nothing to make, so per-user caps alone do not bound the bill.
 * A slot is reserved before the model is asked, under a transaction-scoped advisory lock, so
 * concurrent answers (in several processes too) cannot pass the answer cap; the spend of answers
 * already running when the spend cap is reached still counts (at most one answer each over).
 */
export interface ModelBudget {
  /** A reservation id, or null when a cap is reached (answer offline instead). */
  reserve(now: Date): Promise<number | null>;
  /** Records what the answer cost; an answer that never reached the model gives its slot back. */
  settle(id: number, usage: AskResult['usage']): Promise<void>;
  /** Gives the slot back: the model wrote nothing. */
  release(id: number): Promise<void>;
  status(now: Date): Promise<ModelBudgetStatus>;
}

type BudgetConfig = Pick<
  Config,
  | 'MODEL_DAILY_ANSWER_CAP'
  | 'MODEL_DAILY_SPEND_USD'
  | 'MODEL_PRICE_INPUT_PER_MTOK'
  | 'MODEL_PRICE_OUTPUT_PER_MTOK'
>;

export function answerCostUsd(
  config: BudgetConfig,
  usage: { inputTokens: number; outputTokens: number },
): number {
  return (
    (usage.inputTokens * config.MODEL_PRICE_INPUT_PER_MTOK +
      usage.outputTokens * config.MODEL_PRICE_OUTPUT_PER_MTOK) /
    1_000_000
  );
}

export function createModelBudget(db: Db, config: BudgetConfig): ModelBudget {
  const usedSince = async (q: Pick<Db, 'query'>, since: Date) => {
    const { rows } = await q.query<{ n: number; spent: number | null }>(
      'SELECT count(*)::int AS n, sum(cost_usd)::float8 AS spent FROM model_usage WHERE at > $1',
      [since],
    );
    return { answers: rows[0]?.n ?? 0, spent: Number(rows[0]?.spent ?? 0) };
  };
  return {
    reserve: (now) =>
      db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BUDGET_LOCK]);
        const since = new Date(now.getTime() - DAY_MS);
        await tx.query('DELETE FROM model_usage WHERE at <= $1', [since]);
        const used = await usedSince(tx, since);
        if (used.answers >= config.MODEL_DAILY_ANSWER_CAP || used.spent >= config.MODEL_DAILY_SPEND_USD)
          return null;
        const { rows } = await tx.query<{ id: string }>(
          'INSERT INTO model_usage (at) VALUES ($1) RETURNING id',
          [now],
        );
        return Number(rows[0]!.id);
      }),
    async settle(id, usage) {
      if (!usage) {
        await db.query('DELETE FROM model_usage WHERE id = $1', [id]);
        return;
      }
      await db.query(
        'UPDATE model_usage SET input_tokens = $2, output_tokens = $3, cost_usd = $4 WHERE id = $1',
        [id, usage.inputTokens, usage.outputTokens, answerCostUsd(config, usage)],
      );
    },
    async release(id) {
      await db.query('DELETE FROM model_usage WHERE id = $1', [id]);
    },
    async status(now) {
      const used = await usedSince(db, new Date(now.getTime() - DAY_MS));
      return {
        answersToday: used.answers,
        answerCap: config.MODEL_DAILY_ANSWER_CAP,
        spentUsd: Number(used.spent.toFixed(4)),
        spendCapUsd: config.MODEL_DAILY_SPEND_USD,
        offline: used.answers >= config.MODEL_DAILY_ANSWER_CAP || used.spent >= config.MODEL_DAILY_SPEND_USD,
      };
    },
  };
}

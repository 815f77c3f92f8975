import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { lockForTransaction } from '../store/locks.ts';
import * as modelUsage from '../store/model-usage.ts';
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
  const capped = (used: { answers: number; spent: number }) =>
    used.answers >= config.MODEL_DAILY_ANSWER_CAP || used.spent >= config.MODEL_DAILY_SPEND_USD;
  return {
    reserve: (now) =>
      db.transaction(async (tx) => {
        await lockForTransaction(tx, BUDGET_LOCK);
        const since = new Date(now.getTime() - DAY_MS);
        await modelUsage.deleteModelUsageUpTo(tx, since);
        if (capped(await modelUsage.modelUsageSince(tx, since))) return null;
        return modelUsage.insertModelUsage(tx, now);
      }),
    async settle(id, spent) {
      if (!spent) {
        await modelUsage.deleteModelUsage(db, id);
        return;
      }
      await modelUsage.settleModelUsage(db, id, {
        inputTokens: spent.inputTokens,
        outputTokens: spent.outputTokens,
        costUsd: answerCostUsd(config, spent),
      });
    },
    async release(id) {
      await modelUsage.deleteModelUsage(db, id);
    },
    async status(now) {
      const used = await modelUsage.modelUsageSince(db, new Date(now.getTime() - DAY_MS));
      return {
        answersToday: used.answers,
        answerCap: config.MODEL_DAILY_ANSWER_CAP,
        spentUsd: Number(used.spent.toFixed(4)),
        spendCapUsd: config.MODEL_DAILY_SPEND_USD,
        offline: capped(used),
      };
    },
  };
}

import { FactoryError } from '../errors.ts';
import type { Policy } from '../policy/schema.ts';
import type { Usage } from '../runs/types.ts';
import type { ModelRequest } from './types.ts';

/**
 * Budgets are checked before every model call, from the request's size: its worst case (the
 * estimated input plus all of `max_tokens`, priced at the model's rates) must fit under every cap,
 * otherwise nothing is sent. No token-counting endpoint is needed.
 */

/** USD of a usage at a model's price; null when the model has no price (never counted as zero). */
export type PriceFn = (model: string, usage: Usage) => number | null;

export interface RunTotals {
  /** Model calls made so far in this run. */
  turns: number;
  /** Tokens used so far in this run (input, cache writes and reads, output). */
  tokens: number;
  /** USD of the calls whose model has a price. */
  knownUsd: number;
  /** Calls whose model had no price: their cost is unknown, not zero. */
  unpricedCalls: number;
  startedAt: Date;
}

export interface DayTotals {
  /** USD of today's (UTC) priced calls over every run. */
  knownUsd: number;
  /** Runs started today, this one included. */
  runs: number;
}

export interface BudgetRequest {
  model: string;
  estimatedInputTokens: number;
  maxTokens: number;
}

export interface BudgetInput {
  policyBudgets: Policy['budgets'];
  run: RunTotals;
  day: DayTotals;
  request: BudgetRequest;
  price: PriceFn;
  now: Date;
}

/** Which cap refused the call: `run.modelTurns`, `run.tokens`, `run.usd`, `run.wallMinutes`, `day.usd`, `day.runs`. */
export type BudgetLimit =
  | 'run.modelTurns'
  | 'run.tokens'
  | 'run.usd'
  | 'run.wallMinutes'
  | 'day.usd'
  | 'day.runs';

export type BudgetCheck =
  | {
      ok: true;
      /** The request's worst-case USD; null when the model has no price (only token and turn caps applied). */
      worstCaseUsd: number | null;
      /** True when the model has no price: USD caps could not be applied to this call. */
      unpriced: boolean;
    }
  | {
      ok: false;
      reason: string;
      limit: BudgetLimit;
      /** What was already used, what this request would add at worst, and the cap. */
      used: number;
      requested: number;
      cap: number;
    };

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

/** Pure: does the request's worst case fit under the run's and the day's caps? */
export function checkBudget(input: BudgetInput): BudgetCheck {
  const { policyBudgets: caps, run, day, request } = input;
  const refuse = (limit: BudgetLimit, used: number, requested: number, cap: number, what: string) => ({
    ok: false as const,
    limit,
    used,
    requested,
    cap,
    reason: `${what}: ${fmt(used)} used + ${fmt(requested)} for this request (worst case) > cap ${fmt(cap)} (${limit})`,
  });

  if (day.runs > caps.day.runs) {
    return refuse('day.runs', day.runs - 1, 1, caps.day.runs, 'runs today');
  }
  const elapsedMinutes = (input.now.getTime() - run.startedAt.getTime()) / 60_000;
  if (elapsedMinutes > caps.run.wallMinutes) {
    return {
      ok: false,
      limit: 'run.wallMinutes',
      used: elapsedMinutes,
      requested: 0,
      cap: caps.run.wallMinutes,
      reason: `run wall time: ${fmt(elapsedMinutes)} minutes elapsed > cap ${caps.run.wallMinutes} (run.wallMinutes)`,
    };
  }
  if (run.turns + 1 > caps.run.modelTurns) {
    return refuse('run.modelTurns', run.turns, 1, caps.run.modelTurns, 'run model turns');
  }
  const worstTokens = request.estimatedInputTokens + request.maxTokens;
  if (run.tokens + worstTokens > caps.run.tokens) {
    return refuse('run.tokens', run.tokens, worstTokens, caps.run.tokens, 'run tokens');
  }

  const worstCaseUsd = worstCaseCost(input.price, request);
  if (worstCaseUsd === null) return { ok: true, worstCaseUsd: null, unpriced: true };
  if (run.knownUsd + worstCaseUsd > caps.run.usd) {
    return refuse('run.usd', run.knownUsd, worstCaseUsd, caps.run.usd, 'run USD');
  }
  if (day.knownUsd + worstCaseUsd > caps.day.usd) {
    return refuse('day.usd', day.knownUsd, worstCaseUsd, caps.day.usd, 'USD today');
  }
  return { ok: true, worstCaseUsd, unpriced: false };
}

/**
 * The dearer of "all input billed as input" and "all input written to the cache" (cache writes
 * cost more than plain input), plus every allowed output token.
 */
export function worstCaseCost(price: PriceFn, request: BudgetRequest): number | null {
  const none = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  const asInput = price(request.model, {
    ...none,
    inputTokens: request.estimatedInputTokens,
    outputTokens: request.maxTokens,
  });
  const asCacheWrite = price(request.model, {
    ...none,
    cacheCreationInputTokens: request.estimatedInputTokens,
    outputTokens: request.maxTokens,
  });
  if (asInput === null || asCacheWrite === null) return null;
  return Math.max(asInput, asCacheWrite);
}

/**
 * A conservative token estimate from the serialized request (system, messages, tools): one token
 * per 3 characters (real tokenizers average 3.5–4 for English and code).
 */
export function estimateInputTokens(request: Pick<ModelRequest, 'system' | 'messages' | 'tools'>): number {
  const chars = JSON.stringify([request.system, request.messages, request.tools]).length;
  return Math.ceil(chars / 3);
}

type Live<T> = () => T | Promise<T>;

export interface BudgetGuardOptions {
  policyBudgets: Policy['budgets'];
  /** The run's live totals (e.g. from the ledger). */
  run: Live<RunTotals>;
  /** Today's live totals over every run. */
  day: Live<DayTotals>;
  price: PriceFn;
  now?: () => Date;
}

/** Binds `checkBudget` to live totals; `check` throws `budget_exceeded` (the caller then sends nothing). */
export class BudgetGuard {
  constructor(private readonly options: BudgetGuardOptions) {}

  async check(request: ModelRequest): Promise<Extract<BudgetCheck, { ok: true }>> {
    const [run, day] = await Promise.all([this.options.run(), this.options.day()]);
    const result = checkBudget({
      policyBudgets: this.options.policyBudgets,
      run,
      day,
      request: {
        model: request.model,
        estimatedInputTokens: estimateInputTokens(request),
        maxTokens: request.maxTokens,
      },
      price: this.options.price,
      now: (this.options.now ?? (() => new Date()))(),
    });
    if (!result.ok) {
      throw new FactoryError(
        'budget_exceeded',
        `budget exceeded before the ${request.step} call: ${result.reason}`,
        {
          limit: result.limit,
          used: result.used,
          requested: result.requested,
          cap: result.cap,
          step: request.step,
          issue: request.issue,
          attempt: request.attempt,
          model: request.model,
        },
      );
    }
    return result;
  }
}

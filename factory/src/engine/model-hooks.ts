import { BudgetGuard } from '../model/budget.ts';
import type { ModelClient } from '../model/types.ts';
import type { Policy } from '../policy/schema.ts';
import { priceUsage } from '../runs/prices.ts';
import type { RunRecord } from '../runs/types.ts';
import type { EngineDeps } from './deps.ts';
import type { StepRunner } from './step-runner.ts';

export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/**
 * The run's model client: every call is checked against the run's and the day's budgets (from the
 * ledger) before it is sent, every HTTP attempt becomes an event, every usage a ledger entry.
 */
export function bindModel(options: {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  steps: StepRunner;
  now: () => Date;
}): ModelClient {
  const { deps, run, policy, steps, now } = options;
  const budget = new BudgetGuard({
    policyBudgets: policy.budgets,
    price: priceUsage,
    now,
    run: async () => {
      const cost = await deps.store.runCost(run.id);
      return {
        turns: cost.calls,
        tokens:
          cost.inputTokens + cost.outputTokens + cost.cacheCreationInputTokens + cost.cacheReadInputTokens,
        knownUsd: cost.knownUsd,
        unpricedCalls: cost.unpricedCalls,
        startedAt: run.createdAt,
      };
    },
    day: async () => {
      const since = startOfUtcDay(now());
      const [cost, runs] = await Promise.all([deps.store.costSince(since), deps.store.runsSince(since)]);
      return { knownUsd: cost.knownUsd, runs };
    },
  });
  return deps.createModel({
    budget,
    onAttempt: async (event) => {
      await deps.store.addEvent({
        runId: run.id,
        step: steps.current,
        kind: 'model_call',
        data: { ...event },
      });
    },
    onUsage: async (event) => {
      const usd = priceUsage(event.model, event.usage);
      await deps.store.addLedgerEntry({
        runId: run.id,
        step: steps.current,
        model: event.model,
        ...event.usage,
        usd,
      });
      if (usd === null) {
        await deps.store.addEvent({
          runId: run.id,
          step: steps.current,
          kind: 'note',
          data: {
            message: `model ${event.model} has no price: its cost is unknown (token caps still apply)`,
          },
        });
      }
    },
  });
}

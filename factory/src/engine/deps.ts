import type { Forge } from '@dark-factory/forge';
import type { Logger } from 'pino';
import type { BudgetGuard } from '../model/budget.ts';
import type { ModelAttemptEvent, ModelClient, ModelsConfig, ModelUsageEvent } from '../model/types.ts';
import type { RunStore } from '../runs/types.ts';

/** What the engine binds to each run's model client: its budget and its ledger. */
export interface ModelHooks {
  /** Throws FactoryError('budget_exceeded') when the request would not fit (nothing is sent). */
  budget: Pick<BudgetGuard, 'check'>;
  onAttempt(event: ModelAttemptEvent): Promise<void>;
  onUsage(event: ModelUsageEvent): Promise<void>;
}

/** Everything the engine needs, passed in (the CLI builds these from the environment). */
export interface EngineDeps {
  forge: Forge;
  store: RunStore;
  /** Builds the model client for one run, bound to that run's budget and ledger. */
  createModel(hooks: ModelHooks): ModelClient;
  models: ModelsConfig;
  /** Repository root (git top level) the factory works on. */
  repo: string;
  base: string;
  /** Factory state outside the repository: worktrees, the gate's cache, temp dirs. */
  workDir: string;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** One line per step start/end, for people watching. */
  progress(line: string): void;
  /** Lease owner id of this process. */
  owner: string;
  leaseTtlMs: number;
  now?: () => Date;
}

import { isFactoryError } from '../errors.ts';
import type { StopReason } from '../policy/schema.ts';
import type { RunStore, StepName, StepRecord, StepStatus, StopRequest } from '../runs/types.ts';

/** What a step function returns: its status, an optional reason (a stop reason ends the run) and its typed result. */
export interface StepOutcome<R> {
  status: StepStatus;
  /** A StopReason when this step ends the run; otherwise a short machine reason or undefined. */
  reason?: StopReason | (string & {});
  result: R;
}

export interface StepRunner {
  /** Runs `fn` unless the step is already stored (resume), persists its outcome, and returns it. */
  run<R>(name: StepName, fn: () => Promise<StepOutcome<R>>): Promise<StepOutcome<R>>;
  /** The step currently running (for events and the ledger). */
  readonly current: string;
  stored(name: StepName): StepRecord | undefined;
  all(): StepRecord[];
}

export function createStepRunner(options: {
  store: RunStore;
  runId: string;
  /** Our lease owner id: a step is stored only while we still hold the run. */
  owner: string;
  done: StepRecord[];
  progress: (line: string) => void;
  /** Throws when the run must not go on (lease lost). Checked before every step. */
  guard: () => void;
  now: () => Date;
}): StepRunner {
  const steps = new Map(options.done.map((s) => [s.name, s]));
  let current = 'engine';
  return {
    get current() {
      return current;
    },
    stored: (name) => steps.get(name),
    all: () => [...steps.values()].sort((a, b) => a.seq - b.seq),
    async run<R>(name: StepName, fn: () => Promise<StepOutcome<R>>): Promise<StepOutcome<R>> {
      const existing = steps.get(name);
      if (existing) {
        options.progress(`${name}: ${existing.status} (stored, resumed)`);
        return {
          status: existing.status,
          ...(existing.reason ? { reason: existing.reason } : {}),
          result: existing.result as R,
        };
      }
      options.guard();
      // A person's stop request (`/factory stop`) ends the run here; after a merge, verify still runs.
      const stop = name === 'verify' ? undefined : await options.store.stopRequest(options.runId);
      current = name;
      options.progress(`${name}: started`);
      const startedAt = options.now();
      const t0 = performance.now();
      let outcome: StepOutcome<R>;
      try {
        outcome = stop ? (stoppedOutcome(stop) as StepOutcome<R>) : await fn();
      } catch (err) {
        outcome = failureOutcome(err) as StepOutcome<R>;
      }
      const durationMs = Math.round(performance.now() - t0);
      const saved = await options.store.saveStep(
        {
          runId: options.runId,
          name,
          status: outcome.status,
          reason: outcome.reason ?? null,
          result: outcome.result,
          startedAt,
          durationMs,
        },
        { owner: options.owner },
      );
      steps.set(name, saved);
      current = 'engine';
      options.progress(
        `${name}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''} in ${formatMs(durationMs)}`,
      );
      return outcome;
    },
  };
}

function stoppedOutcome(stop: StopRequest): StepOutcome<{ detail: string } & StopRequest> {
  return {
    status: 'refused',
    reason: 'stopped',
    result: { detail: `stopped at the request of @${stop.requestedBy} (${stop.source})`, ...stop },
  };
}

/** An exception inside a step is recorded as that step's failure, with the reason a person can act on. */
function failureOutcome(err: unknown): StepOutcome<{ error: string; code?: string; context?: unknown }> {
  const message = err instanceof Error ? err.message : String(err);
  if (isFactoryError(err, 'budget_exceeded')) {
    return {
      status: 'refused',
      reason: 'budget_exceeded',
      result: { error: message, code: err.code, context: err.context },
    };
  }
  if (isFactoryError(err, 'no_sandbox')) {
    return { status: 'failed', reason: 'no_sandbox', result: { error: message, code: err.code } };
  }
  if (isFactoryError(err, 'lease_lost')) throw err;
  if (isFactoryError(err, 'model_error') && err.context.reason === 'malformed_answer') {
    // The model answered twice in a shape the step cannot use: the model failed, not the factory.
    return {
      status: 'failed',
      reason: 'agent_failed',
      result: { error: message, code: err.code, context: err.context },
    };
  }
  return {
    status: 'failed',
    reason: 'factory_error',
    result: { error: message, ...(isFactoryError(err) ? { code: err.code, context: err.context } : {}) },
  };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

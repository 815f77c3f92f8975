import type { RunReader } from '../runs/remote.ts';
import type { RunRecord } from '../runs/types.ts';
import type { RunReport } from './report.ts';

/** The run as `pnpm factory run --json` reports it; status and cost come from the store. */
export async function buildReport(
  store: Pick<RunReader, 'steps' | 'runCost'>,
  run: RunRecord,
): Promise<RunReport> {
  const [steps, cost] = await Promise.all([store.steps(run.id), store.runCost(run.id)]);
  const end = run.finishedAt ?? new Date();
  return {
    runId: run.id,
    issue: run.issue,
    status: run.state,
    pr: run.pr,
    steps: steps.map((s) => ({ name: s.name, status: s.status, durationMs: s.durationMs })),
    cost: {
      inputTokens: cost.inputTokens + cost.cacheCreationInputTokens + cost.cacheReadInputTokens,
      outputTokens: cost.outputTokens,
      usd: cost.usd,
    },
    durationMs: Math.max(0, end.getTime() - run.createdAt.getTime()),
    stopReason: run.stopReason,
    sandbox: run.sandbox,
  };
}

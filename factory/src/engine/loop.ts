import { isFactoryError } from '../errors.ts';
import { hasFactoryLabel } from '../steps/intake.ts';
import type { EngineDeps } from './deps.ts';
import type { RunReport } from './report.ts';
import { resumeRun, runIssue } from './run-issue.ts';

/**
 * What a loop pass works on: runs still marked running whose lease is free or expired (their
 * process is gone: the lease says so, not a guess), then open issues without a factory label,
 * oldest first.
 */
export async function listEligible(
  deps: EngineDeps,
): Promise<{ running: string[]; resumable: string[]; issues: number[] }> {
  const now = Date.now();
  const runs = await deps.store.listRuns({ limit: 500 });
  const running = runs.filter((r) => r.state === 'running');
  const resumable = running
    .filter((r) => !r.leaseExpiresAt || r.leaseExpiresAt.getTime() < now || r.leaseOwner === null)
    .map((r) => r.id);
  const busy = new Set(running.map((r) => r.issue));
  const issues = (await deps.forge.listIssues({ state: 'open' }))
    .filter((i) => !hasFactoryLabel(i) && !busy.has(i.number))
    .map((i) => i.number)
    .sort((a, b) => a - b);
  return { running: running.map((r) => r.id), resumable, issues };
}

export async function runLoop(
  deps: EngineDeps,
  options: { watch: boolean; pollMs: number; signal?: AbortSignal },
): Promise<RunReport[]> {
  const reports: (RunReport | undefined)[] = [];
  const stopping = { value: false };
  const stop = () => {
    stopping.value = true;
    deps.progress('loop: stopping after the current run');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    do {
      const { resumable, issues } = await listEligible(deps);
      deps.progress(`loop: ${resumable.length} run(s) to resume, ${issues.length} new issue(s)`);
      for (const id of resumable) {
        if (stopping.value || options.signal?.aborted) break;
        reports.push(await guarded(deps, () => resumeRun(deps, id, { waitMs: 0 })));
      }
      for (const issue of issues) {
        if (stopping.value || options.signal?.aborted) break;
        reports.push(await guarded(deps, () => runIssue(deps, { issue })));
      }
      if (!options.watch || stopping.value || options.signal?.aborted) break;
      await sleepUnless(options.pollMs, () => stopping.value || Boolean(options.signal?.aborted));
    } while (!stopping.value);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return reports.filter((r): r is RunReport => r !== undefined);
}

/** One issue's trouble (another worker holds it) must not stop the loop. */
async function guarded(deps: EngineDeps, fn: () => Promise<RunReport>): Promise<RunReport | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isFactoryError(err, 'lease_lost') || isFactoryError(err, 'usage')) {
      deps.progress(`loop: skipped: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}

async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stop()) {
    await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
  }
}

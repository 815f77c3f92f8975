import { isForgeError } from '@dark-factory/forge';
import type { EngineDeps } from '../engine/deps.ts';
import type { RunReport } from '../engine/report.ts';
import { resumeRun, runIssue } from '../engine/run-issue.ts';
import { type FactoryErrorCode, isFactoryError } from '../errors.ts';
import { hasFactoryLabel } from '../steps/intake.ts';
import { type IssueJob, type IssueJobReason, type JobHandler, TransientJobError } from './types.ts';

/**
 * Which failures are worth another attempt. Everything else (a bad policy, a git error, an issue
 * that does not exist) fails the job at once: retrying cannot change the answer.
 */
const TRANSIENT_FACTORY_CODES: ReadonlySet<FactoryErrorCode> = new Set([
  // Another live process holds the issue's run (e.g. `pnpm factory run`); try again after its lease.
  'lease_lost',
  // Another process created the issue's run between our look and our insert; the retry resumes it.
  'run_active',
  // The database was unreachable.
  'store_error',
]);
const TRANSIENT_NETWORK = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EPIPE|57P01)\b/;

export function isTransient(err: unknown): boolean {
  if (err instanceof TransientJobError) return true;
  if (isFactoryError(err)) return TRANSIENT_FACTORY_CODES.has(err.code);
  if (isForgeError(err)) return err.code === 'unavailable' || err.code === 'rate_limited';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_NETWORK.test(code);
}

/** Reasons that ask for a run even when the issue was already decided (it carries a `factory:` label). */
const RERUN_REASONS: ReadonlySet<IssueJobReason> = new Set(['retry', 'edited', 'reopened', 'comment']);

export type JobDecision =
  | { action: 'resume'; runId: string }
  | { action: 'run' }
  | { action: 'skip'; why: string };

/** What a job asks of the engine, from the store's and the forge's facts (pure). */
export function decideJob(
  job: IssueJob,
  facts: { activeRunId?: string | undefined; issue: { state: string; labels: string[] } },
): JobDecision {
  if (facts.activeRunId) return { action: 'resume', runId: facts.activeRunId };
  if (facts.issue.state !== 'open')
    return { action: 'skip', why: `issue #${job.issue} is ${facts.issue.state}` };
  if (hasFactoryLabel(facts.issue) && !RERUN_REASONS.has(job.reason)) {
    return { action: 'skip', why: `issue #${job.issue} was already decided (${job.reason} job)` };
  }
  return { action: 'run' };
}

export interface IssueHandlerOptions {
  /** Called with each run's report (the worker prints them). */
  onReport?: (report: RunReport, job: IssueJob) => void;
}

/**
 * The worker's handler: runs the engine for the job's issue, or resumes the issue's run when it is
 * still `running` (its worker died: the run's lease, which expires with the job's, says so).
 * When the worker stops (ctx.signal), the run's lease is released: the engine stops at its next
 * heartbeat and the job is retried, so another worker resumes the run at once.
 */
export function createIssueJobHandler(deps: EngineDeps, options: IssueHandlerOptions = {}): JobHandler {
  return async (job, ctx) => {
    const log = deps.logger.child({
      module: 'worker',
      jobId: ctx.jobId,
      issue: job.issue,
      attempt: ctx.attempt,
    });
    const release = async () => {
      const run = await deps.store.activeRun(job.issue);
      if (run?.leaseOwner === deps.owner) {
        await deps.store.releaseLease(run.id, deps.owner);
        log.info({ runId: run.id }, 'worker stopping: released the run');
      }
    };
    const onAbort = () => {
      release().catch((err) => log.error({ err }, 'could not release the run'));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let report: RunReport;
    try {
      const active = await deps.store.activeRun(job.issue);
      const decision = active
        ? decideJob(job, { activeRunId: active.id, issue: { state: 'open', labels: [] } })
        : decideJob(job, { issue: await issueFacts(deps, job.issue) });
      if (decision.action === 'skip') {
        deps.progress(`job ${ctx.jobId}: skipped: ${decision.why}`);
        return;
      }
      deps.progress(
        decision.action === 'resume'
          ? `job ${ctx.jobId}: issue #${job.issue}: resuming run ${decision.runId} (attempt ${ctx.attempt})`
          : `job ${ctx.jobId}: issue #${job.issue}: starting a run (${job.reason}, attempt ${ctx.attempt})`,
      );
      report =
        decision.action === 'resume'
          ? await resumeRun(deps, decision.runId)
          : await runIssue(deps, { issue: job.issue });
    } catch (err) {
      if (ctx.signal.aborted) throw new TransientJobError(`released: ${(err as Error).message}`);
      if (isTransient(err)) throw new TransientJobError((err as Error).message, { cause: err });
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    options.onReport?.(report, job);
    deps.progress(`job ${ctx.jobId}: issue #${job.issue}: run ${report.runId} ${report.status}`);
    // The run reached no decision: the factory itself failed. Dead, with the run to look at.
    if (report.status === 'failed') {
      throw new Error(`run ${report.runId} failed (${report.stopReason ?? 'no stop reason'})`);
    }
  };
}

async function issueFacts(deps: EngineDeps, number: number) {
  const issue = await deps.forge.getIssue(number);
  return { state: issue.state, labels: issue.labels };
}

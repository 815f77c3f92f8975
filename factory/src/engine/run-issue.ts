import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError, isFactoryError } from '../errors.ts';
import { resolveHoldoutDir } from '../policy/holdout.ts';
import { loadPolicyFromRef } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';
import { LeaseKeeper } from '../runs/lease.ts';
import type { RunRecord } from '../runs/types.ts';
import type { IntakeResult } from '../steps/intake.ts';
import { revParse } from '../workspace/git.ts';
import { branchName } from '../workspace/worktree.ts';
import type { EngineDeps } from './deps.ts';
import { finishRun } from './finish.ts';
import { runPipeline } from './pipeline.ts';
import type { RunReport } from './report.ts';
import { buildReport } from './status.ts';
import { createStepRunner } from './step-runner.ts';

export interface RunIssueOptions {
  issue: number;
  /** Stop after triage (pnpm factory triage): the run stays resumable. */
  triageOnly?: boolean;
}

/** Starts a new run for an issue, or takes over the issue's run whose lease expired. */
export async function runIssue(deps: EngineDeps, options: RunIssueOptions): Promise<RunReport> {
  const { policy, prose } = await loadPolicyFromRef(deps.repo, deps.base);
  const active = await deps.store.activeRun(options.issue);
  if (active) return resumeRun(deps, active.id, { triageOnly: options.triageOnly });
  const issue = await deps.forge.getIssue(options.issue);
  if (issue.state !== 'open') {
    throw new FactoryError(
      'usage',
      `issue #${issue.number} is ${issue.state}: the factory only works on open issues`,
      {
        issue: issue.number,
      },
    );
  }
  const baseSha = await revParse(deps.repo, deps.base);
  const run = await deps.store.createRun(
    {
      issue: issue.number,
      author: issue.author ?? null,
      base: deps.base,
      baseSha,
      branch: branchName(issue.number, issue.title),
      repo: deps.repo,
    },
    { owner: deps.owner, ttlMs: deps.leaseTtlMs },
  );
  deps.logger.info({ runId: run.id, issue: issue.number, baseSha }, 'run started');
  return drive(deps, run, policy, prose, options.triageOnly ?? false);
}

/**
 * Continues a run from its last stored step. A lease held by a live owner is respected; an
 * expired one is taken over once it has expired (the heartbeat, not a guess, says the owner is gone).
 */
export async function resumeRun(
  deps: EngineDeps,
  runId: string,
  options: { triageOnly?: boolean; waitMs?: number } = {},
): Promise<RunReport> {
  const run = await deps.store.getRun(runId);
  if (!run) throw new FactoryError('usage', `no run ${runId}`, { runId });
  if (run.state !== 'running') return buildReport(deps.store, run);
  const deadline = Date.now() + (options.waitMs ?? deps.leaseTtlMs * 2);
  for (;;) {
    if (await deps.store.acquireLease(run.id, deps.owner, deps.leaseTtlMs)) break;
    const current = await deps.store.getRun(run.id);
    if (current?.state !== 'running') return buildReport(deps.store, current ?? run);
    if (Date.now() > deadline) {
      throw new FactoryError(
        'lease_lost',
        `run ${run.id} is held by ${current.leaseOwner} until ${current.leaseExpiresAt?.toISOString()}; try again after that`,
        { runId: run.id, owner: current.leaseOwner },
      );
    }
    const expires = current.leaseExpiresAt?.getTime() ?? Date.now();
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, expires - Date.now() + 20))));
  }
  deps.progress(`run ${run.id}: resuming issue #${run.issue}`);
  // The judge is main as of when the run started; the policy too.
  const { policy, prose } = await loadPolicyFromRef(deps.repo, run.baseSha);
  return drive(deps, (await deps.store.getRun(run.id)) ?? run, policy, prose, options.triageOnly ?? false);
}

async function drive(
  deps: EngineDeps,
  run: RunRecord,
  policy: Policy,
  prose: string,
  triageOnly: boolean,
): Promise<RunReport> {
  const now = deps.now ?? (() => new Date());
  const lease = new LeaseKeeper({
    store: deps.store,
    runId: run.id,
    owner: deps.owner,
    ttlMs: deps.leaseTtlMs,
    logger: deps.logger,
  });
  const runDir = join(deps.workDir, 'runs', run.id);
  await mkdir(runDir, { recursive: true });
  const steps = createStepRunner({
    store: deps.store,
    runId: run.id,
    owner: deps.owner,
    done: await deps.store.steps(run.id),
    progress: (line) => deps.progress(`#${run.issue} ${line}`),
    guard: () => {
      if (lease.signal.aborted) {
        throw new FactoryError(
          'lease_lost',
          `lost the lease on run ${run.id}: another process took it over`,
          {
            runId: run.id,
          },
        );
      }
    },
    now,
  });
  let holdoutDir: string | undefined;
  try {
    holdoutDir = resolveHoldoutDir(policy, deps.env, deps.repo);
  } catch (err) {
    await lease.stop();
    throw err;
  }
  try {
    // Every run records the boundary its commands run in, also one that ends before running any
    // (the pipeline records it again once the runner exists).
    if (run.sandbox === null) await deps.store.setSandbox(run.id, policy.sandbox.boundary);
    const ended = await runPipeline({
      deps,
      run,
      policy,
      prose,
      steps,
      runDir,
      holdoutDir,
      triageOnly,
      signal: lease.signal,
      now,
    });
    if (ended === 'paused-after-triage') {
      await lease.stop();
      await deps.store.releaseLease(run.id, deps.owner);
      return buildReport(deps.store, (await deps.store.getRun(run.id)) ?? run);
    }
    await finishRun({
      deps,
      run,
      policy,
      steps: steps.all(),
      intake: steps.stored('intake')?.result as IntakeResult,
      beforeFinish: () => lease.stop(),
    });
  } catch (err) {
    if (isFactoryError(err, 'lease_lost')) {
      await lease.stop();
      throw err;
    }
    // A failure outside any step (the store, the forge): record it so the run never looks alive.
    deps.logger.error({ err, runId: run.id }, 'run failed outside a step');
    const message = err instanceof Error ? err.message : String(err);
    await steps
      .run('merge', async () => ({ status: 'failed', reason: 'factory_error', result: { error: message } }))
      .catch(() => undefined);
    await finishRun({
      deps,
      run,
      policy,
      steps: steps.all(),
      intake: steps.stored('intake')?.result as IntakeResult | undefined,
      beforeFinish: () => lease.stop(),
    }).catch((finishErr) => deps.logger.error({ err: finishErr }, 'could not record the failed run'));
  } finally {
    await lease.stop();
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return buildReport(deps.store, (await deps.store.getRun(run.id)) ?? run);
}

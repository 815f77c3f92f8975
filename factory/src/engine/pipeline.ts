import { join } from 'node:path';
import type { Policy } from '../policy/schema.ts';
import { redact, secretValues } from '../redact.ts';
import type { RunRecord } from '../runs/types.ts';
import { runAgentLoop } from '../steps/agent-loop.ts';
import { type IntakeResult, intakeIssue } from '../steps/intake.ts';
import { executeMerge, type MergeResult } from '../steps/merge.ts';
import type { SubmittedPlan } from '../steps/plan.ts';
import { planChange } from '../steps/plan.ts';
import { fixFirstMessage, implementFirstMessage, systemPrompt } from '../steps/prompts.ts';
import { blocking, reviewChange } from '../steps/review.ts';
import { issueHash } from '../steps/sanitize.ts';
import { triageIssue, triageStopReason } from '../steps/triage.ts';
import { verifyAfterMerge } from '../steps/verify.ts';
import { createCommandRunner } from '../tools/sandbox.ts';
import { createAgentToolbox, createReadOnlyToolbox } from '../tools/toolbox.ts';
import { commitAll } from '../workspace/commit.ts';
import { diffAgainstBase } from '../workspace/diff.ts';
import { git } from '../workspace/git.ts';
import type { Worktree } from '../workspace/types.ts';
import { installDependencies, openWorktree } from '../workspace/worktree.ts';
import type { EngineDeps } from './deps.ts';
import { triageLimits } from './limits.ts';
import { bindModel } from './model-hooks.ts';
import type { StepOutcome, StepRunner } from './step-runner.ts';
import { type ValidationFailure, type ValidationOutcome, validateCandidate } from './validation.ts';

export interface PipelineInput {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  prose: string;
  steps: StepRunner;
  runDir: string;
  holdoutDir: string | undefined;
  triageOnly: boolean;
  signal: AbortSignal;
  now: () => Date;
}

/**
 * The loop: intake → triage → plan → implement → validate → review → (fix-K → validate-K →
 * review-K)* → merge → verify. Each step is persisted before the next starts; a step that ends the
 * run carries a stop reason and the pipeline returns.
 */
export async function runPipeline(p: PipelineInput): Promise<'ended' | 'paused-after-triage'> {
  const { deps, run, policy, prose, steps } = p;
  const model = bindModel({ deps, run, policy, steps, now: p.now });

  const intake = await steps.run('intake', async () => ({
    status: 'ok',
    result: await intakeIssue(deps.forge, run.issue),
  }));
  if (intake.status !== 'ok') return 'ended';
  const issue = intake.result as IntakeResult;

  const triage = await steps.run<unknown>('triage', async () => {
    const refused = await triageLimits({ deps, policy, issue, branch: run.branch, now: p.now() });
    if (refused) return refused;
    const decision = await triageIssue({
      model,
      models: deps.models,
      issue: {
        number: issue.issue.number,
        title: issue.issue.title,
        body: issue.issue.body,
        comments: issue.comments,
      },
      form: issue.form ?? null,
      missionProse: prose,
      attempt: 0,
    });
    await deps.store.setIssueHash(run.id, issue.hash);
    const reason = triageStopReason(decision, issue.form);
    await announceTriage(deps, run.issue, decision, reason === 'triage_question');
    return { status: 'ok', ...(reason ? { reason } : {}), result: decision } satisfies StepOutcome<unknown>;
  });
  if (triage.status !== 'ok' || triage.reason) return 'ended';
  if (p.triageOnly) return 'paused-after-triage';

  // The issue text was frozen at triage: an edit since then goes back to triage, not into the agent.
  const edited = await issueEditedSinceTriage(deps, run, issue);
  if (edited) {
    await steps.run('plan', async () => ({ status: 'refused', reason: 'issue_edited', result: edited }));
    return 'ended';
  }

  const worktree = await openWorktree({
    repo: deps.repo,
    baseSha: run.baseSha,
    branch: run.branch,
    dir: join(deps.workDir, 'worktrees', run.id),
  });
  const issueForModel = {
    number: issue.issue.number,
    title: issue.issue.title,
    body: issue.issue.body,
    comments: issue.comments,
  };

  const plan = await steps.run<unknown>('plan', async () => {
    const result = await planChange({
      model,
      models: deps.models,
      toolbox: createReadOnlyToolbox({ worktree: worktree.dir, policy }),
      issue: issueForModel,
      missionProse: prose,
      maxTurns: policy.limits.maxTurnsPerStep,
      onEvent: (e) => recordEvent(deps, run, steps.current, e),
    });
    return result.status === 'ok'
      ? { status: 'ok', result }
      : { status: 'failed', reason: 'agent_failed', result };
  });
  if (plan.status !== 'ok') return 'ended';

  const runner = await createRunner(p, worktree);
  if (!runner.ok) {
    await steps.run('implement', async () => ({
      status: 'failed',
      reason: 'no_sandbox',
      result: { error: runner.error },
    }));
    return 'ended';
  }
  await deps.store.setSandbox(run.id, runner.value.boundary);

  const agentStep = async (name: 'implement' | `fix-${number}`, attempt: number, firstMessage: string) =>
    steps.run<unknown>(name, async () => {
      const install = await installDependencies(worktree.dir, { sourceRepo: deps.repo });
      const toolbox = createAgentToolbox({
        worktree: worktree.dir,
        policy,
        runner: runner.value,
        onEvent: (e) => recordEvent(deps, run, steps.current, e),
      });
      const agent = await runAgentLoop({
        model,
        models: deps.models,
        toolbox,
        step: attempt === 0 ? 'implement' : 'fix',
        issue: issueForModel,
        attempt,
        firstMessage,
        system: systemPrompt({ prose, policy, step: attempt === 0 ? 'implement' : 'fix' }),
        maxTurns: policy.limits.maxTurnsPerStep,
        diffIsEmpty: async () => (await git(worktree.dir, ['status', '--porcelain'])).stdout.trim() === '',
        onEvent: (e) => recordEvent(deps, run, steps.current, e),
      });
      if (agent.status !== 'ok') {
        // Discard a half-made change: the branch keeps only completed steps' commits.
        await git(worktree.dir, ['reset', '--hard', '-q']);
        await git(worktree.dir, ['clean', '-fdq']);
        return {
          status: 'failed',
          reason: agent.reason === 'no_change' ? 'no_change' : 'agent_failed',
          result: { agent, install },
        };
      }
      const commit = await commitAll(worktree, `factory: #${run.issue} ${name} (run ${run.id})`);
      const diff = await diffAgainstBase(worktree);
      return {
        status: 'ok',
        result: {
          agent,
          install,
          commit,
          files: diff.files,
          changedLines: diff.changedLines,
          // The change against the base so far, for the watch page (bounded: the diff is limited anyway).
          patch:
            diff.patch.length > PATCH_LIMIT ? `${diff.patch.slice(0, PATCH_LIMIT)}\n… (cut)` : diff.patch,
        },
      };
    });

  const implement = await agentStep(
    'implement',
    0,
    implementFirstMessage({ issue: issueForModel, plan: plan.result as SubmittedPlan }),
  );
  if (implement.status !== 'ok') return 'ended';

  const validateAndReview = async (suffix: string, attempt: number) => {
    const validation = await steps.run(`validate${suffix}`, async () =>
      validateCandidate({
        deps,
        run,
        policy,
        worktree,
        runner: runner.value,
        holdoutDir: p.holdoutDir,
        runDir: p.runDir,
      }),
    );
    if (validation.status !== 'ok') {
      return {
        ok: false as const,
        failure: (validation.result as ValidationOutcome).failure ?? undefined,
        stop: validation.reason,
      };
    }
    const review = await steps.run(`review${suffix}`, async () => {
      const diff = await diffAgainstBase(worktree);
      const verdict = await reviewChange({
        model,
        models: deps.models,
        issue: issueForModel,
        missionProse: prose,
        diff,
        attempt,
      });
      return blocking(verdict)
        ? { status: 'failed', reason: 'review_blocking', result: verdict }
        : { status: 'ok', result: verdict };
    });
    if (review.status !== 'ok') {
      const verdict = review.result as {
        findings?: { severity: string; file?: string; message: string }[];
        summary?: string;
      };
      return {
        ok: false as const,
        failure: {
          reviewFindings: verdict.findings ?? [],
          reviewSummary: verdict.summary,
        } satisfies ValidationFailure,
        stop: review.reason,
      };
    }
    return { ok: true as const };
  };

  let outcome = await validateAndReview('', 0);
  for (let k = 1; !outcome.ok && k <= policy.limits.fixAttempts; k++) {
    if (isTerminal(outcome.stop)) return 'ended';
    const fix = await agentStep(
      `fix-${k}`,
      k,
      fixFirstMessage({ issue: issueForModel, failure: outcome.failure ?? {} }),
    );
    if (fix.status !== 'ok' && isTerminal(fix.reason)) return 'ended';
    outcome = fix.status === 'ok' ? await validateAndReview(`-${k}`, k) : outcome;
  }
  if (!outcome.ok) {
    if (isTerminal(outcome.stop)) return 'ended';
    await steps.run('merge', async () => ({
      status: 'skipped',
      reason: 'validation_exhausted',
      result: { attempts: policy.limits.fixAttempts, lastFailure: outcome.failure ?? null },
    }));
    return 'ended';
  }

  const merge = await steps.run('merge', async () =>
    executeMerge({
      deps,
      run,
      policy,
      worktree,
      steps,
      runner: runner.value,
      holdoutDir: p.holdoutDir,
      runDir: p.runDir,
      signal: p.signal,
    }),
  );
  if (merge.status !== 'ok') return 'ended';
  if (policy.merge.verifyAfterMerge) {
    await steps.run('verify', async () =>
      verifyAfterMerge({ deps, run, policy, merge: merge.result as MergeResult, runDir: p.runDir }),
    );
  }
  return 'ended';
}

/** Characters of the patch an agent step records. */
const PATCH_LIMIT = 200_000;

/** Reasons that end the run at once (no fix round can help). */
function isTerminal(reason: string | undefined): boolean {
  return (
    reason === 'budget_exceeded' ||
    reason === 'factory_error' ||
    reason === 'no_sandbox' ||
    reason === 'stopped'
  );
}

async function createRunner(p: PipelineInput, worktree: Worktree) {
  try {
    const value = await createCommandRunner({
      boundary: p.policy.sandbox.boundary,
      worktree: worktree.dir,
      protectedPaths: [...p.policy.protected, ...(p.policy.allowDependencyChanges ? [] : p.policy.lockfiles)],
      hidden: [p.holdoutDir, join(p.deps.workDir, 'gate-cache'), p.deps.env.FACTORY_STORE_DIR].filter(
        (d): d is string => Boolean(d),
      ),
      tmpDir: join(p.runDir, 'tmp'),
      env: p.deps.env,
      onEvent: (e) => recordEvent(p.deps, p.run, p.steps.current, { kind: 'command', ...e }),
    });
    return { ok: true as const, value };
  } catch (err) {
    return { ok: false as const, error: err instanceof Error ? err.message : String(err) };
  }
}

function recordEvent(deps: EngineDeps, run: RunRecord, step: string, e: Record<string, unknown>): void {
  const { kind, ...data } = e as { kind?: string };
  const eventKind = kind === 'command' || kind === 'model_call' || kind === 'note' ? kind : 'tool_call';
  deps.store.addEvent({ runId: run.id, step, kind: eventKind, data }).catch((err) => {
    deps.logger.warn({ err, runId: run.id }, 'could not record an event');
  });
}

async function announceTriage(
  deps: EngineDeps,
  issue: number,
  decision: { decision: string; kind: string; priority: string; reason: string },
  question = false,
): Promise<void> {
  // A question is answered here and never implemented, whatever the decision said.
  const label = question
    ? 'factory:question'
    : `factory:${decision.decision === 'accept' ? 'accepted' : decision.decision === 'reject' ? 'rejected' : 'needs-human'}`;
  const text = [
    question
      ? `**dark-factory triage**: answered (question, priority ${decision.priority}); the factory does not change code for a question`
      : `**dark-factory triage**: ${decision.decision} (${decision.kind}, priority ${decision.priority})`,
    '',
    decision.reason,
  ].join('\n');
  await deps.forge.commentOnIssue(issue, redact(text, secretValues(deps.env)));
  await deps.forge.addLabels(issue, [label]);
}

async function issueEditedSinceTriage(
  deps: EngineDeps,
  run: RunRecord,
  intake: IntakeResult,
): Promise<{ frozen: string; now: string } | undefined> {
  const current = await deps.forge.getIssue(run.issue);
  const hash = issueHash(current.title, current.body);
  const frozen = (await deps.store.getRun(run.id))?.issueHash ?? intake.hash;
  return hash === frozen ? undefined : { frozen, now: hash };
}

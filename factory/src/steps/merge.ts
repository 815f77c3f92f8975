import type { PullRequest } from '@dark-factory/forge';
import type { EngineDeps } from '../engine/deps.ts';
import { startOfUtcDay } from '../engine/model-hooks.ts';
import type { StepOutcome, StepRunner } from '../engine/step-runner.ts';
import { type ValidationOutcome, validateCandidate } from '../engine/validation.ts';
import { loadPolicyFromRef } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';
import { redact, secretValues } from '../redact.ts';
import type { RunRecord } from '../runs/types.ts';
import type { CommandRunner } from '../tools/types.ts';
import { git, hasRemote, revParse } from '../workspace/git.ts';
import { baseMoved, squashMergeLocal, updateBranch } from '../workspace/merge.ts';
import { fetchBase, pushBranch } from '../workspace/remote.ts';
import type { Worktree } from '../workspace/types.ts';
import { awaitChecks } from './checks.ts';
import { gateReportComment, postGateReport, validationRounds } from './gate-report.ts';
import { decideMerge, type MergeCheck } from './merge-decision.ts';
import { checkPolicyOnDiff } from './policy-check.ts';

export interface MergeResult {
  decision: { merge: boolean; checks: MergeCheck[] };
  /** Set when main moved during the run: the branch was updated and validated again. */
  revalidated: ValidationOutcome | null;
  pr: number | null;
  prUrl: string | null;
  mergedSha: string | null;
  via: 'github' | 'local-git' | null;
  alreadyMerged: boolean;
  /** The forge's checks on the PR's head, as last read before merging (null: not reached). */
  forgeChecks: { sha: string; required: string[]; polls: number; waitedMs: number } | null;
  /** The gate's report commented on the PR (one comment per run; null: no PR was opened). */
  gateReport: { commentId: number; posted: boolean } | null;
}

const TRAILER = 'Factory-Run';

/**
 * The merge step: the decision is `decideMerge` over what the earlier steps recorded (never a
 * model's say-so); then a pull request, a squash merge with a `Factory-Run` trailer, and the issue
 * closed. Idempotent: a PR that is already merged, or a base that already holds this run's
 * commit, is not merged again.
 */
export async function executeMerge(options: {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  worktree: Worktree;
  steps: StepRunner;
  runner: CommandRunner;
  holdoutDir: string | undefined;
  runDir: string;
  /** Aborts the wait for the forge's checks (the run lost its lease). */
  signal?: AbortSignal;
}): Promise<StepOutcome<MergeResult>> {
  const { deps, run, steps } = options;
  let worktree = options.worktree;
  const result: MergeResult = {
    decision: { merge: false, checks: [] },
    revalidated: null,
    pr: null,
    prUrl: null,
    mergedSha: null,
    via: null,
    alreadyMerged: false,
    forgeChecks: null,
    gateReport: null,
  };

  const existing = await alreadyMerged(deps, run);
  if (existing) {
    return { status: 'ok', reason: 'merged', result: { ...result, ...existing, alreadyMerged: true } };
  }

  // The policy as main has it now (paused, the merge cap) — not as it was when the run started.
  const current = await loadPolicyFromRef(deps.repo, deps.base).catch(() => undefined);
  const policy = current?.policy ?? options.policy;

  let lastValidation = latest<ValidationOutcome>(steps, 'validate');
  if (await baseMoved(deps.repo, deps.base, run.baseSha)) {
    deps.progress(
      `#${run.issue}   ${deps.base} moved since the run started: updating the branch and validating again`,
    );
    const updated = await updateBranch(worktree, deps.base);
    // From here on the change is judged against the base it will land on.
    worktree = { ...worktree, baseSha: updated.baseSha };
    const again = await validateCandidate({ ...options, worktree, policy: options.policy });
    result.revalidated = again.result;
    lastValidation = again.result;
    if (again.status !== 'ok') {
      result.decision.checks = [
        { name: 'revalidation', ok: false, detail: `after updating to ${deps.base}: ${again.reason}` },
      ];
      return { status: 'refused', reason: 'validation_exhausted', result };
    }
  }
  const review = latest<{ solves_issue: boolean; findings: { severity: string; message: string }[] }>(
    steps,
    'review',
  );
  const { check, diff } = await checkPolicyOnDiff({ repo: deps.repo, worktree, policy });
  const day = startOfUtcDay(deps.now?.() ?? new Date());
  const cost = await deps.store.runCost(run.id);
  const budgetLeft = cost.knownUsd <= policy.budgets.run.usd;
  const decision = decideMerge({
    policy,
    diff,
    pathViolations: check.pathViolations,
    appendOnlyViolations: check.appendOnlyViolations,
    tests: check.tests,
    commands: (lastValidation?.commands?.commands ?? []).map((c) => ({
      name: c.name,
      exitCode: c.exitCode,
      timedOut: c.timedOut,
    })),
    gate: policy.gate
      ? lastValidation?.gate
        ? { pass: lastValidation.gate.pass, exitCode: lastValidation.gate.exitCode }
        : { pass: false, exitCode: null }
      : null,
    holdout: options.holdoutDir
      ? lastValidation?.holdout
        ? { pass: lastValidation.holdout.pass }
        : { pass: false }
      : null,
    review: review ?? null,
    budget: {
      exceeded: !budgetLeft,
      detail: `${cost.knownUsd.toFixed(4)} USD of ${policy.budgets.run.usd}${cost.unpricedCalls ? ` (+${cost.unpricedCalls} unpriced calls)` : ''}`,
    },
    paused: policy.paused,
    mergesToday: await deps.store.mergesSince(day),
  });
  result.decision = { merge: decision.merge, checks: decision.checks };
  if (!decision.merge) return { status: 'refused', reason: decision.stopReason, result };

  const secrets = secretValues(deps.env);
  const title = redact(
    (steps.stored('intake')?.result as { issue?: { title: string } } | undefined)?.issue?.title ??
      `issue #${run.issue}`,
    secrets,
  ).slice(0, 200);
  const body = redact(await pullRequestBody({ deps, run, steps, lastValidation }), secrets);
  const message = `${title} (#${run.issue})\n\nFixes #${run.issue}\n\n${TRAILER}: ${run.id}`;
  const online = deps.forge.kind === 'github' && (await hasRemote(deps.repo, 'origin'));
  const token = deps.env.GITHUB_TOKEN?.trim();

  if (online) {
    await pushBranch(deps.repo, run.branch, { remote: 'origin', force: true, ...(token ? { token } : {}) });
  }
  const pr = await openPullRequest(deps, run, { title: `factory: ${title}`, body });
  result.pr = pr.number;
  result.prUrl = pr.url;
  await deps.store.setPullRequest(run.id, pr.number);

  // The gate's report goes on the PR as it opens, pass or not, for whoever reads it (and CI) to see.
  const rounds = validationRounds(steps.all());
  if (result.revalidated) rounds.push({ name: 'revalidation', outcome: result.revalidated });
  result.gateReport = await postGateReport({
    forge: deps.forge,
    pr: pr.number,
    runId: run.id,
    body: gateReportComment({
      runId: run.id,
      rounds,
      gateConfigured: Boolean(policy.gate),
      holdoutConfigured: Boolean(options.holdoutDir),
      secrets,
    }),
  });

  // The forge's gate: what the base branch requires (and, on GitHub, the policy's checks) must
  // have passed on the PR's head, and protection must allow the merge. Recorded with the decision.
  const head = online ? (await deps.forge.getPullRequest(pr.number)).headSha : undefined;
  const sha = head ?? (await revParse(deps.repo, run.branch));
  const waited = await awaitChecks({
    forge: deps.forge,
    pr: pr.number,
    base: deps.base,
    sha,
    policyRequired: deps.forge.kind === 'github' ? policy.checks.required : [],
    waitMs: policy.checks.waitMinutes * 60_000,
    pollMs: policy.checks.pollSeconds * 1000,
    ...(options.signal ? { signal: options.signal } : {}),
    progress: (line) => deps.progress(`#${run.issue}   ${line}`),
  });
  result.forgeChecks = {
    sha,
    required: waited.snapshot.required,
    polls: waited.polls,
    waitedMs: waited.waitedMs,
  };
  result.decision = {
    merge: waited.judgement.state === 'pass',
    checks: [...decision.checks, ...waited.judgement.checks],
  };
  if (waited.judgement.state === 'refuse') {
    return { status: 'refused', reason: waited.judgement.stopReason, result };
  }

  if (online) {
    const merged = await deps.forge.mergePullRequest(pr.number, {
      method: 'squash',
      commitTitle: `${title} (#${pr.number})`,
      commitMessage: `Fixes #${run.issue}\n\n${TRAILER}: ${run.id}`,
      // Merge exactly the head whose checks passed: the forge refuses if it moved since.
      ...(head ? { sha: head } : {}),
    });
    await fetchBase(deps.repo, deps.base, token ? { token } : {});
    result.mergedSha = merged.mergeCommitSha ?? null;
    result.via = 'github';
  } else {
    result.mergedSha = await squashMergeLocal({
      repo: deps.repo,
      base: deps.base,
      branch: run.branch,
      message,
    });
    await deps.forge.mergePullRequest(pr.number, {
      method: 'squash',
      commitTitle: title,
      commitMessage: message,
      mergeCommitSha: result.mergedSha,
    });
    result.via = 'local-git';
  }
  return { status: 'ok', reason: 'merged', result };
}

function latest<T>(steps: StepRunner, prefix: 'validate' | 'review'): T | undefined {
  const found = steps
    .all()
    .filter((s) => s.name === prefix || s.name.startsWith(`${prefix}-`))
    .at(-1);
  return found?.result as T | undefined;
}

/** A PR of this run that is merged, or this run's trailer already on the base branch. */
async function alreadyMerged(
  deps: EngineDeps,
  run: RunRecord,
): Promise<Pick<MergeResult, 'pr' | 'prUrl' | 'mergedSha' | 'via'> | undefined> {
  const stored = await deps.store.getRun(run.id);
  if (stored?.pr) {
    const pr = await deps.forge.getPullRequest(stored.pr);
    if (pr.state === 'merged') {
      return {
        pr: pr.number,
        prUrl: pr.url,
        mergedSha: pr.mergeCommitSha ?? null,
        via: deps.forge.kind === 'github' ? 'github' : 'local-git',
      };
    }
  }
  const log = await git(deps.repo, [
    'log',
    deps.base,
    '--format=%H',
    `--grep=^${TRAILER}: ${run.id}$`,
    '-n',
    '1',
  ]);
  const sha = log.stdout.trim();
  if (sha) return { pr: stored?.pr ?? null, prUrl: null, mergedSha: sha, via: 'local-git' };
  return undefined;
}

async function openPullRequest(
  deps: EngineDeps,
  run: RunRecord,
  input: { title: string; body: string },
): Promise<PullRequest> {
  const open = (await deps.forge.listPullRequests({ state: 'open' })).find(
    (p) => p.head === run.branch && p.base === deps.base,
  );
  if (open) return open;
  return deps.forge.createPullRequest({
    title: input.title,
    body: input.body,
    head: run.branch,
    base: deps.base,
  });
}

async function pullRequestBody(options: {
  deps: EngineDeps;
  run: RunRecord;
  steps: StepRunner;
  lastValidation: ValidationOutcome | undefined;
}): Promise<string> {
  const { deps, run, steps, lastValidation } = options;
  const plan = steps.stored('plan')?.result as
    | { summary: string; steps: string[]; files: string[]; risks: string[] }
    | undefined;
  const cost = await deps.store.runCost(run.id);
  const lines = [
    `Fixes #${run.issue}`,
    '',
    '## Plan',
    plan?.summary ?? '(no plan recorded)',
    '',
    ...(plan?.steps ?? []).map((s, i) => `${i + 1}. ${s}`),
    ...(plan?.risks?.length ? ['', '**Risks**', ...plan.risks.map((r) => `- ${r}`)] : []),
    '',
    '## Validation',
    ...(lastValidation?.commands?.commands ?? []).map(
      (c) => `- \`${c.name}\`: exit ${c.exitCode} in ${(c.durationMs / 1000).toFixed(1)} s`,
    ),
    '',
    '## Evals gate (main’s evals, main measured in the same run)',
    lastValidation?.gate?.markdown ?? '(no gate configured)',
    ...(lastValidation?.holdout
      ? ['', `Holdout: ${lastValidation.holdout.pass ? 'pass' : 'fail'} (aggregates only)`]
      : []),
    '',
    '## Cost',
    `${cost.inputTokens} input, ${cost.outputTokens} output, ${cost.cacheReadInputTokens} cache-read, ${cost.cacheCreationInputTokens} cache-write tokens over ${cost.calls} calls; ${
      cost.usd === null
        ? `USD unknown (${cost.unpricedCalls} unpriced calls; priced part ${cost.knownUsd.toFixed(4)})`
        : `${cost.usd.toFixed(4)} USD`
    }`,
    '',
    `${TRAILER}: ${run.id}`,
  ];
  return lines.join('\n').slice(0, 65_000);
}

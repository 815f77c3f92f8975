import type { BranchProtection, CommitCheck, Forge, PullRequest } from '@dark-factory/forge';
import type { MergeCheck } from './merge-decision.ts';

/**
 * Before the factory merges a pull request, the forge's own gate: the checks the base branch
 * requires (branch protection, rulesets, and the policy's `checks.required`) must have passed on
 * the PR's head, and the forge must not forbid the merge. `judgeChecks` decides from one snapshot
 * (pure); `awaitChecks` polls the forge until the judgement is final or the wait runs out.
 */

export type ChecksStopReason = 'checks_failed' | 'merge_blocked';

export interface ChecksSnapshot {
  /** The commit the checks were read on. */
  sha: string;
  required: string[];
  reported: CommitCheck[];
  protection: BranchProtection;
  pull: Pick<PullRequest, 'number' | 'state' | 'mergeable' | 'mergeableState'>;
}

export type ChecksJudgement =
  | { state: 'pass'; checks: MergeCheck[] }
  | { state: 'wait'; checks: MergeCheck[]; waitingFor: string }
  | { state: 'refuse'; checks: MergeCheck[]; stopReason: ChecksStopReason };

/** GitHub's `mergeable_state` values that forbid a merge whatever the checks say. */
const FORBIDDEN: Record<string, string> = {
  dirty: 'the branch conflicts with the base branch',
  draft: 'the pull request is a draft',
  behind: 'the base branch requires the head to be up to date with it (strict), and it is behind',
};

/** One look at the facts: pass, keep waiting, or refuse with a stop reason. Pure. */
export function judgeChecks(
  s: ChecksSnapshot,
  options: { timedOut: boolean; blockedSettled: boolean },
): ChecksJudgement {
  const byName = new Map(s.reported.map((c) => [c.name, c]));
  const failed = s.required.filter((name) => {
    const c = byName.get(name);
    return c !== undefined && c.state === 'failure';
  });
  const pending = s.required.filter((name) => {
    const c = byName.get(name);
    return c === undefined || c.state === 'pending';
  });
  const describe = (name: string) => {
    const c = byName.get(name);
    if (!c) return `${name} not reported`;
    return `${name} ${c.state}${c.detail && c.detail !== c.state ? ` (${c.detail})` : ''}`;
  };
  const others = s.reported.filter((c) => !s.required.includes(c.name) && c.state === 'failure');
  const requiredDetail =
    s.required.length === 0
      ? `no checks required on ${s.sha.slice(0, 12)}`
      : `${s.required.map(describe).join(', ')} on ${s.sha.slice(0, 12)}`;
  const advisory = others.length ? `; not required and failing: ${others.map((c) => c.name).join(', ')}` : '';
  const protectionCheck = (ok: boolean, why?: string): MergeCheck => ({
    name: 'branch protection',
    ok,
    detail: [protectionText(s.protection), why].filter(Boolean).join('; '),
  });

  if (s.pull.state !== 'open') {
    return {
      state: 'refuse',
      stopReason: 'merge_blocked',
      checks: [
        { name: 'required checks', ok: failed.length === 0, detail: requiredDetail + advisory },
        protectionCheck(false, `pull request #${s.pull.number} is ${s.pull.state}`),
      ],
    };
  }
  if (failed.length > 0) {
    return {
      state: 'refuse',
      stopReason: 'checks_failed',
      checks: [
        { name: 'required checks', ok: false, detail: `failed: ${requiredDetail}${advisory}` },
        protectionCheck(true),
      ],
    };
  }
  if (pending.length > 0) {
    const missing = pending.filter((name) => !byName.has(name));
    const hint =
      missing.length > 0
        ? ' (pushes made with the Actions GITHUB_TOKEN start no workflows: push with a GitHub App or personal token)'
        : '';
    const checks: MergeCheck[] = [
      {
        name: 'required checks',
        ok: false,
        detail: `${options.timedOut ? 'still waiting when the wait ran out: ' : 'waiting: '}${requiredDetail}${options.timedOut ? hint : ''}${advisory}`,
      },
      protectionCheck(true),
    ];
    return options.timedOut
      ? { state: 'refuse', stopReason: 'checks_failed', checks }
      : { state: 'wait', checks, waitingFor: pending.join(', ') };
  }
  const required: MergeCheck = {
    name: 'required checks',
    ok: true,
    detail: `${s.required.length ? 'passed: ' : ''}${requiredDetail}${advisory}`,
  };
  const forbidden = s.pull.mergeableState ? FORBIDDEN[s.pull.mergeableState] : undefined;
  if (forbidden || s.pull.mergeable === false) {
    return {
      state: 'refuse',
      stopReason: 'merge_blocked',
      checks: [required, protectionCheck(false, forbidden ?? 'the forge says the PR cannot be merged')],
    };
  }
  if (s.pull.mergeableState === 'blocked') {
    // GitHub may still say blocked for a moment after the last check turns green; a state that
    // stays blocked means protection wants something else (an approving review, signed commits…).
    const why = `the forge blocks the merge (mergeable_state blocked)${
      s.protection.requiredApprovingReviews ? `: ${approvals(s.protection.requiredApprovingReviews)}` : ''
    }`;
    if (options.blockedSettled || options.timedOut) {
      return {
        state: 'refuse',
        stopReason: 'merge_blocked',
        checks: [required, protectionCheck(false, why)],
      };
    }
    return {
      state: 'wait',
      checks: [required, protectionCheck(false, why)],
      waitingFor: 'branch protection',
    };
  }
  if (s.pull.mergeable === null || s.pull.mergeableState === 'unknown') {
    const checks = [required, protectionCheck(false, 'the forge is still computing mergeability')];
    return options.timedOut
      ? { state: 'refuse', stopReason: 'merge_blocked', checks }
      : { state: 'wait', checks, waitingFor: 'mergeability' };
  }
  return {
    state: 'pass',
    checks: [
      required,
      protectionCheck(true, s.pull.mergeableState ? `mergeable (${s.pull.mergeableState})` : undefined),
    ],
  };
}

function approvals(n: number): string {
  return `${n} approving review${n === 1 ? '' : 's'} required (the factory does not approve its own pull requests)`;
}

function protectionText(p: BranchProtection): string {
  if (!p.protected && p.requiredChecks.length === 0) return `${p.branch} is not protected`;
  const parts = [
    p.requiredChecks.length ? `requires ${p.requiredChecks.join(', ')}` : 'no required checks',
    ...(p.strict ? ['up to date before merging'] : []),
    ...(p.requiredApprovingReviews ? [approvals(p.requiredApprovingReviews)] : []),
  ];
  return `${p.branch} ${p.protected ? 'protected' : 'unprotected'}: ${parts.join(', ')}`;
}

/** The union of what the branch requires and what the policy adds, sorted and without repeats. */
export function requiredChecks(protection: BranchProtection, fromPolicy: readonly string[]): string[] {
  return [...new Set([...protection.requiredChecks, ...fromPolicy])].sort();
}

export interface AwaitChecksOptions {
  forge: Pick<Forge, 'listCommitChecks' | 'getBranchProtection' | 'getPullRequest'>;
  pr: number;
  base: string;
  /** The commit to read checks on (the PR's head as the forge reports it, else the pushed commit). */
  sha: string;
  /** The policy's `checks.required` (the caller passes [] where no CI runs, e.g. the local forge). */
  policyRequired: readonly string[];
  waitMs: number;
  pollMs: number;
  /** How long `blocked` must last, with every required check green, before it counts (default 2 polls). */
  blockedGraceMs?: number;
  signal?: AbortSignal;
  /** One line whenever what the wait is waiting for changes. */
  progress?: (line: string) => void;
  now?: () => number;
}

export interface AwaitChecksResult {
  judgement: Exclude<ChecksJudgement, { state: 'wait' }>;
  snapshot: ChecksSnapshot;
  polls: number;
  waitedMs: number;
}

/**
 * Polls the forge until the checks are final, bounded by `waitMs`: a failed required check or a
 * forbidding branch refuses at once; pending ones are waited for; at the deadline anything still
 * pending refuses (`checks_failed`). Forge failures propagate (the step runner records them).
 */
export async function awaitChecks(options: AwaitChecksOptions): Promise<AwaitChecksResult> {
  const now = options.now ?? Date.now;
  const start = now();
  const grace = options.blockedGraceMs ?? options.pollMs * 2;
  let blockedSince: number | undefined;
  let lastWaitingFor = '';
  const protection = await options.forge.getBranchProtection(options.base);
  const required = requiredChecks(protection, options.policyRequired);
  for (let polls = 1; ; polls++) {
    const [reported, pull] = await Promise.all([
      options.forge.listCommitChecks(options.sha),
      options.forge.getPullRequest(options.pr),
    ]);
    const snapshot: ChecksSnapshot = { sha: options.sha, required, reported, protection, pull };
    const t = now();
    if (pull.mergeableState === 'blocked') blockedSince ??= t;
    else blockedSince = undefined;
    const judgement = judgeChecks(snapshot, {
      timedOut: t - start >= options.waitMs,
      blockedSettled: blockedSince !== undefined && t - blockedSince >= grace,
    });
    if (judgement.state !== 'wait') return { judgement, snapshot, polls, waitedMs: t - start };
    if (judgement.waitingFor !== lastWaitingFor) {
      lastWaitingFor = judgement.waitingFor;
      options.progress?.(
        `PR #${options.pr}: waiting for ${judgement.waitingFor} (up to ${Math.round(options.waitMs / 60_000)} min)`,
      );
    }
    const left = options.waitMs - (t - start);
    await sleep(Math.max(0, Math.min(options.pollMs, left)), options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import type { Policy } from '../policy/schema.ts';
import type { IntakeResult } from '../steps/intake.ts';
import type { EngineDeps } from './deps.ts';
import { startOfUtcDay } from './model-hooks.ts';
import type { StepOutcome } from './step-runner.ts';

/**
 * The deterministic limits checked before triage spends a model call: the pause switch, the body
 * size, the per-author flood limit, the day's run cap, and an open PR for the same issue.
 */
export async function triageLimits(options: {
  deps: EngineDeps;
  policy: Policy;
  issue: IntakeResult;
  branch: string;
  now: Date;
}): Promise<StepOutcome<{ limit: string; detail: string }> | undefined> {
  const { deps, policy, issue } = options;
  const refuse = (
    reason: 'paused' | 'body_too_large' | 'flood_limit' | 'daily_runs_cap' | 'already_active',
    limit: string,
    detail: string,
  ) => ({
    status: 'refused' as const,
    reason,
    result: { limit, detail },
  });
  if (policy.paused) return refuse('paused', 'paused', 'mission.md says paused: true; no new runs');
  if (issue.bodyChars > policy.limits.maxIssueBodyChars) {
    return refuse(
      'body_too_large',
      'limits.maxIssueBodyChars',
      `the issue body has ${issue.bodyChars} characters (limit ${policy.limits.maxIssueBodyChars})`,
    );
  }
  const day = startOfUtcDay(options.now);
  if (issue.issue.author) {
    const triaged = await deps.store.triagedByAuthorSince(issue.issue.author, day);
    if (triaged >= policy.budgets.author.issuesPerDay) {
      return refuse(
        'flood_limit',
        'budgets.author.issuesPerDay',
        `${issue.issue.author} already had ${triaged} issues triaged today (limit ${policy.budgets.author.issuesPerDay})`,
      );
    }
  }
  const runs = await deps.store.runsSince(day);
  if (runs > policy.budgets.day.runs) {
    return refuse(
      'daily_runs_cap',
      'budgets.day.runs',
      `${runs} runs today (cap ${policy.budgets.day.runs})`,
    );
  }
  const open = (await deps.forge.listPullRequests({ state: 'open' })).find((p) => p.head === options.branch);
  if (open)
    return refuse(
      'already_active',
      'one PR per issue',
      `pull request #${open.number} is already open for ${options.branch}`,
    );
  return undefined;
}

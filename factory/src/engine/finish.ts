import { join } from 'node:path';
import { isFactoryError } from '../errors.ts';
import type { Policy } from '../policy/schema.ts';
import { redact, secretValues } from '../redact.ts';
import type { RunRecord, StepRecord } from '../runs/types.ts';
import { FACTORY_LABEL_PREFIX, type IntakeResult } from '../steps/intake.ts';
import { deleteBranch, removeWorktree } from '../workspace/worktree.ts';
import type { EngineDeps } from './deps.ts';
import { deriveOutcome } from './outcome.ts';
import type { ValidationOutcome } from './validation.ts';

/**
 * Ends a run: the outcome derived from its steps goes to the issue (label, comment with the
 * evidence, closed when merged, reopened when the merge was reverted), then to the run store, and
 * the worktree and branch are removed.
 */
export async function finishRun(options: {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  steps: StepRecord[];
  intake: IntakeResult | undefined;
  /** Called just before the run is marked finished: stops the lease's heartbeats, which would otherwise find the lease gone and report it lost. */
  beforeFinish?: () => Promise<void>;
}): Promise<void> {
  const { deps, run, policy, steps } = options;
  const outcome = deriveOutcome(steps, policy) ?? {
    status: policy.stopReasons.factory_error.status,
    stopReason: 'factory_error' as const,
    label: policy.stopReasons.factory_error.label,
  };
  const secrets = secretValues(deps.env);
  const say = async (text: string) => {
    await deps.forge.commentOnIssue(run.issue, redact(text, secrets).slice(0, 65_000));
  };
  const forgeSide = async () => {
    if (outcome.stopReason === 'issue_edited') {
      // Back to triage: without factory labels the next loop picks the issue up again.
      const issue = await deps.forge.getIssue(run.issue);
      for (const label of issue.labels.filter((l) => l.toLowerCase().startsWith(FACTORY_LABEL_PREFIX))) {
        await deps.forge.removeLabel(run.issue, label);
      }
      await say(
        `**dark-factory**: the issue changed after triage accepted it; it goes back to triage (run ${run.id}).`,
      );
      return;
    }
    await deps.forge.addLabels(run.issue, [outcome.label]);
    const text = evidence(run, steps, outcome.stopReason);
    if (outcome.status === 'merged') {
      await deps.forge.closeIssue(run.issue, redact(text, secrets));
      return;
    }
    if (outcome.stopReason === 'post_merge_failed') {
      await deps.forge.reopenIssue(run.issue, redact(text, secrets));
      return;
    }
    if (text) await say(text);
  };
  try {
    await forgeSide();
  } catch (err) {
    deps.logger.error({ err, runId: run.id, issue: run.issue }, 'could not report the outcome on the issue');
  }
  await options.beforeFinish?.();
  try {
    await deps.store.finishRun(run.id, deps.owner, { state: outcome.status, stopReason: outcome.stopReason });
  } catch (err) {
    if (!isFactoryError(err)) throw err;
    deps.logger.warn({ err, runId: run.id }, 'the run was finished elsewhere');
  }
  await removeWorktree(deps.repo, join(deps.workDir, 'worktrees', run.id)).catch(() => false);
  await deleteBranch(deps.repo, run.branch).catch(() => false);
}

/** The comment that explains the outcome, built from the stored step results. */
export function evidence(run: RunRecord, steps: StepRecord[], reason: string): string {
  const head = `**dark-factory** run \`${run.id}\`: ${reason.replaceAll('_', ' ')}`;
  const stopStep = [...steps].reverse().find((s) => s.reason === reason);
  const result = (stopStep?.result ?? {}) as Record<string, unknown>;
  switch (reason) {
    case 'triage_rejected':
    case 'triage_needs_human':
    case 'triage_question':
      return ''; // the triage comment already says why
    case 'merged': {
      const pr = result.pr ? `#${String(result.pr)}` : 'the pull request';
      return `${head}. Merged ${pr} into the base branch${result.mergedSha ? ` as ${String(result.mergedSha).slice(0, 12)}` : ''}; every gate passed (${checksLine(result)}).`;
    }
    case 'validation_exhausted':
      return [head, '', failureText(steps)].join('\n');
    case 'policy_violation':
    case 'merge_cap':
    case 'checks_failed':
    case 'merge_blocked':
    case 'paused':
    case 'budget_exceeded':
    case 'no_change':
    case 'agent_failed':
    case 'flood_limit':
    case 'body_too_large':
    case 'daily_runs_cap':
    case 'already_active':
    case 'no_sandbox':
    case 'stopped':
    case 'factory_error':
      return [head, '', detailText(stopStep?.name ?? 'run', result)].join('\n');
    case 'post_merge_failed':
      return [
        head,
        '',
        `The base branch failed validation after the merge, so the factory reverted it${result.revertSha ? ` (${String(result.revertSha).slice(0, 12)})` : ''} and reopened this issue.`,
        '',
        commandsText(result.commands as ValidationOutcome['commands']),
      ].join('\n');
    default:
      return head;
  }
}

function checksLine(result: Record<string, unknown>): string {
  const checks = (
    (result.decision as { checks?: { name: string; ok: boolean }[] } | undefined)?.checks ?? []
  ).filter((c) => c.ok);
  return checks.map((c) => c.name).join(', ');
}

function detailText(step: string, result: Record<string, unknown>): string {
  const lines = [`Step \`${step}\`:`];
  if (typeof result.error === 'string') lines.push(`> ${result.error}`);
  if (typeof result.detail === 'string') {
    lines.push(`> ${result.detail}${typeof result.limit === 'string' ? ` (${result.limit})` : ''}`);
  }
  const checks = (result.decision as { checks?: { name: string; ok: boolean; detail: string }[] } | undefined)
    ?.checks;
  if (checks) lines.push(...checks.filter((c) => !c.ok).map((c) => `- ${c.name}: ${c.detail}`));
  const agent = result.agent as { reason?: string; summary?: string } | undefined;
  if (agent?.reason)
    lines.push(`> the agent stopped: ${agent.reason}${agent.summary ? ` — ${agent.summary}` : ''}`);
  return lines.join('\n');
}

function commandsText(commands: ValidationOutcome['commands'] | undefined): string {
  if (!commands) return '';
  return commands.commands
    .map((c) => {
      const head = `- \`${c.name}\` (\`${c.argv.join(' ')}\`): ${c.timedOut ? 'timed out' : `exit ${c.exitCode}`}`;
      return c.exitCode === 0 ? head : `${head}\n\n\`\`\`\n${c.output.slice(-3000)}\n\`\`\``;
    })
    .join('\n');
}

/** The last validation or review failure, as evidence for a person. */
function failureText(steps: StepRecord[]): string {
  const last = [...steps]
    .reverse()
    .find((s) => /^(validate|review)(-\d+)?$/.test(s.name) && s.status !== 'ok');
  if (!last) return 'No failing validation was recorded.';
  if (last.name.startsWith('review')) {
    const verdict = last.result as {
      summary?: string;
      findings?: { severity: string; file?: string; message: string }[];
    };
    return [
      `The last review (\`${last.name}\`) blocked the change: ${verdict.summary ?? ''}`,
      ...(verdict.findings ?? []).map(
        (f) => `- **${f.severity}**${f.file ? ` \`${f.file}\`` : ''}: ${f.message}`,
      ),
    ].join('\n');
  }
  const v = last.result as ValidationOutcome;
  const parts = [`The last validation (\`${last.name}\`) failed.`];
  if (v.policy && !v.policy.ok) parts.push(...v.policy.problems.map((p) => `- ${p}`));
  if (v.commands) parts.push(commandsText(v.commands));
  if (v.gate && !v.gate.pass) parts.push('', '### Evals gate', v.gate.markdown);
  if (v.holdout && !v.holdout.pass)
    parts.push('', 'The sealed holdout failed (only aggregate figures are reported).');
  return parts.join('\n');
}

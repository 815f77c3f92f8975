import { utcMinute } from '@dark-factory/kit';
import { evidence } from '../engine/finish.ts';
import { formatMs } from '../engine/step-runner.ts';
import type { Policy } from '../policy/schema.ts';
import type { CostTotals, RunRecord, StepRecord, StopRequest } from '../runs/types.ts';

/**
 * The answer to `/factory explain`: the run's status and why, from the stored steps only (what
 * the engine recorded, not what anyone remembers). Pure.
 */
export function explainRun(input: {
  run: RunRecord;
  steps: StepRecord[];
  cost: CostTotals;
  stop: StopRequest | undefined;
  policy: Pick<Policy, 'stopReasons'>;
  now: Date;
}): string {
  const { run, steps, cost, stop, policy, now } = input;
  const lines = [
    `**dark-factory** run \`${run.id}\` for #${run.issue}: **${statusLine(run, policy, now)}**`,
    '',
  ];
  const end = run.finishedAt ?? now;
  const facts = [
    `started ${isoMinute(run.createdAt)}`,
    run.finishedAt ? `finished ${isoMinute(run.finishedAt)}` : undefined,
    `${run.finishedAt ? 'took' : 'running for'} ${formatMs(Math.max(0, end.getTime() - run.createdAt.getTime()))}`,
    `cost ${cost.usd === null ? `≥ $${cost.knownUsd.toFixed(2)} (${cost.unpricedCalls} call(s) unpriced)` : `$${cost.usd.toFixed(2)}`} over ${cost.calls} model call(s)`,
    run.pr ? `pull request #${run.pr}` : undefined,
  ].filter(Boolean);
  lines.push(`${facts.join(' · ')}.`, '');
  if (steps.length > 0) {
    lines.push('| step | status | reason | took |', '| --- | --- | --- | --- |');
    for (const s of steps)
      lines.push(`| \`${s.name}\` | ${s.status} | ${s.reason ?? ''} | ${formatMs(s.durationMs)} |`);
    lines.push('');
  }
  lines.push(why(run, steps, stop));
  return lines.join('\n').trim();
}

function statusLine(run: RunRecord, policy: Pick<Policy, 'stopReasons'>, now: Date): string {
  if (run.state !== 'running') {
    const rule = run.stopReason ? policy.stopReasons[run.stopReason] : undefined;
    return `${run.state}${run.stopReason ? ` (\`${run.stopReason}\`${rule ? `, label \`${rule.label}\`` : ''})` : ''}`;
  }
  const expired = !run.leaseExpiresAt || run.leaseExpiresAt.getTime() < now.getTime();
  // A released or expired lease: no process works on it now (paused after triage, or its worker died).
  return expired ? 'waiting (no worker holds it; `resume` or the next worker takes it over)' : 'running';
}

function why(run: RunRecord, steps: StepRecord[], stop: StopRequest | undefined): string {
  if (run.state === 'running') {
    const last = steps.at(-1);
    const where = last
      ? `the last finished step is \`${last.name}\` (${last.status})`
      : 'no step has finished yet';
    const stopping = stop
      ? ` @${stop.requestedBy} asked it to stop (${isoMinute(stop.requestedAt)}): it ends before its next step.`
      : '';
    return `Still in progress: ${where}.${stopping}`;
  }
  if (!run.stopReason) return 'The run ended without a recorded reason.';
  if (
    run.stopReason === 'triage_rejected' ||
    run.stopReason === 'triage_needs_human' ||
    run.stopReason === 'triage_question'
  ) {
    const triage = steps.find((s) => s.name === 'triage')?.result as
      | { decision?: string; reason?: string }
      | undefined;
    return `Why: triage decided **${triage?.decision ?? run.stopReason}**${triage?.reason ? `: ${triage.reason}` : '.'}`;
  }
  // The same evidence the run's final comment gave.
  const text = evidence(run, steps, run.stopReason).trim();
  return text ? `Why:\n\n${text}` : `Why: \`${run.stopReason}\`.`;
}

function isoMinute(d: Date): string {
  return `${utcMinute(d)} UTC`;
}

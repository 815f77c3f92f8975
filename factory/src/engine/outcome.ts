import type { Policy, RunStatus, StopReason } from '../policy/schema.ts';
import { StopReasonSchema } from '../policy/schema.ts';
import type { StepRecord } from '../runs/types.ts';

/**
 * A run's status is derived from its stored steps, never written by hand: the last step that
 * carries a stop reason decides, through the policy's table. A run whose steps end without one
 * is still running (or died: its lease says which).
 */
function lastStop(
  steps: Pick<StepRecord, 'name' | 'status' | 'reason'>[],
  policy: Pick<Policy, 'stopReasons'>,
): { status: RunStatus; stopReason: StopReason; label: string } | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const parsed = StopReasonSchema.safeParse(steps[i]?.reason);
    if (!parsed.success) continue;
    const rule = policy.stopReasons[parsed.data];
    return { status: rule.status, stopReason: parsed.data, label: rule.label };
  }
  return undefined;
}

/** The run's outcome; `merged` only when the merge step itself succeeded (a stop reason alone cannot claim it). */
export function deriveOutcome(
  steps: Pick<StepRecord, 'name' | 'status' | 'reason'>[],
  policy: Pick<Policy, 'stopReasons'>,
): { status: RunStatus; stopReason: StopReason; label: string } | undefined {
  const outcome = lastStop(steps, policy);
  if (!outcome) return undefined;
  const merge = steps.find((s) => s.name === 'merge');
  if (outcome.status === 'merged' && merge?.status !== 'ok') {
    const rule = policy.stopReasons.factory_error;
    return { status: rule.status, stopReason: 'factory_error', label: rule.label };
  }
  return outcome;
}

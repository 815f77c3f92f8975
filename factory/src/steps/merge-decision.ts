import { z } from 'zod';
import type { Policy, StopReason } from '../policy/schema.ts';
import type { DiffSummary } from '../workspace/types.ts';

/**
 * The merge decision, in code: a pure function of recorded facts (exit codes, the gate's verdict,
 * the review's findings, the diff). No model takes part in it.
 */

export const MergeCheckSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});
export type MergeCheck = z.infer<typeof MergeCheckSchema>;

export interface MergeFacts {
  policy: Policy;
  diff: DiffSummary;
  /** From policy/paths.ts checkChangedPaths. */
  pathViolations: { path: string; message: string }[];
  /** Append-only files whose change is not a pure append. */
  appendOnlyViolations: { path: string; reason: string }[];
  tests: { deletedTests: string[]; assertionsBefore: number; assertionsAfter: number };
  /** Exit codes of the last validation's commands, as recorded. */
  commands: { name: string; exitCode: number | null; timedOut: boolean }[];
  /** null: the policy configures no gate. */
  gate: { pass: boolean; exitCode: number | null } | null;
  /** null: no holdout configured. */
  holdout: { pass: boolean } | null;
  review: { solves_issue: boolean; findings: { severity: string; message: string }[] } | null;
  budget: { exceeded: boolean; detail: string };
  paused: boolean;
  mergesToday: number;
}

export type MergeDecision =
  | { merge: true; checks: MergeCheck[] }
  | { merge: false; checks: MergeCheck[]; stopReason: StopReason };

const BLOCKING = new Set(['high', 'critical']);

export function decideMerge(f: MergeFacts): MergeDecision {
  const { limits, merge } = f.policy;
  const failedCommands = f.commands.filter((c) => c.exitCode !== 0 || c.timedOut);
  const blocking = f.review?.findings.filter((x) => BLOCKING.has(x.severity)) ?? [];
  const checks: (MergeCheck & { reason: StopReason })[] = [
    check(
      'paths',
      f.pathViolations.length === 0,
      f.pathViolations.length === 0
        ? `${f.diff.files.length} files, all writable and none protected`
        : f.pathViolations.map((v) => v.message).join('; '),
      'policy_violation',
    ),
    check(
      'append-only',
      f.appendOnlyViolations.length === 0,
      f.appendOnlyViolations.length === 0
        ? 'append-only files only appended to'
        : f.appendOnlyViolations.map((v) => `${v.path}: ${v.reason}`).join('; '),
      'policy_violation',
    ),
    check(
      'size',
      f.diff.changedLines <= limits.maxChangedLines && f.diff.files.length <= limits.maxFiles,
      `${f.diff.changedLines} changed lines (max ${limits.maxChangedLines}), ${f.diff.files.length} files (max ${limits.maxFiles})`,
      'policy_violation',
    ),
    check(
      'non-empty',
      f.diff.files.length > 0,
      f.diff.files.length > 0 ? 'the branch changes files' : 'the branch changes nothing',
      'no_change',
    ),
    check(
      'tests kept',
      f.tests.deletedTests.length === 0 && f.tests.assertionsAfter >= f.tests.assertionsBefore,
      f.tests.deletedTests.length > 0
        ? `test files deleted: ${f.tests.deletedTests.join(', ')}`
        : `assertions in touched test files ${f.tests.assertionsBefore} → ${f.tests.assertionsAfter}`,
      'policy_violation',
    ),
    check(
      'validation',
      f.commands.length > 0 && failedCommands.length === 0,
      f.commands.length === 0
        ? 'no validation was recorded'
        : failedCommands.length === 0
          ? `${f.commands.map((c) => `${c.name} exit 0`).join(', ')}`
          : failedCommands
              .map((c) => `${c.name} ${c.timedOut ? 'timed out' : `exit ${c.exitCode}`}`)
              .join(', '),
      'validation_exhausted',
    ),
    check(
      'evals gate',
      f.gate === null || (f.gate.pass && f.gate.exitCode === 0),
      f.gate === null ? 'no gate configured' : f.gate.pass ? 'passed' : `failed (exit ${f.gate.exitCode})`,
      'validation_exhausted',
    ),
    check(
      'holdout',
      f.holdout === null || f.holdout.pass,
      f.holdout === null ? 'no holdout configured' : f.holdout.pass ? 'passed' : 'failed',
      'validation_exhausted',
    ),
    check(
      'review',
      f.review?.solves_issue === true && blocking.length === 0,
      f.review === null
        ? 'no review was recorded'
        : !f.review.solves_issue
          ? 'the reviewer says the change does not solve the issue'
          : blocking.length > 0
            ? `${blocking.length} high/critical finding(s): ${blocking.map((b) => b.message).join('; ')}`
            : `solves the issue, ${f.review.findings.length} minor finding(s)`,
      'validation_exhausted',
    ),
    check('budget', !f.budget.exceeded, f.budget.detail, 'budget_exceeded'),
    check(
      'not paused',
      !f.paused,
      f.paused ? 'the factory is paused (mission.md paused: true)' : 'running',
      'paused',
    ),
    check(
      'daily merge cap',
      f.mergesToday < merge.dailyCap,
      `${f.mergesToday} merges today (cap ${merge.dailyCap})`,
      'merge_cap',
    ),
  ];
  const plain = checks.map(({ reason: _reason, ...c }) => c);
  const first = checks.find((c) => !c.ok);
  return first ? { merge: false, checks: plain, stopReason: first.reason } : { merge: true, checks: plain };
}

function check(
  name: string,
  ok: boolean,
  detail: string,
  reason: StopReason,
): MergeCheck & { reason: StopReason } {
  return { name, ok, detail, reason };
}

import type { Forge } from '@dark-factory/forge';
import type { ValidationOutcome } from '../engine/validation.ts';
import { redact } from '../redact.ts';
import type { StepRecord } from '../runs/types.ts';

/**
 * The gate's report as a comment on the run's pull request: every validation round (commands with
 * their exit codes, the evals gate's verdict, the holdout's), then the judge's Markdown report of
 * the round the decision used. One comment per run: it carries a marker with the run id, so a
 * merge step that runs again (resume) finds it instead of posting a second one. The forge has no
 * call that edits a comment, and it needs none: the pull request is opened after the last fix
 * round, so the comment is written once, with every round in it.
 */

/** The marker that names the run a gate comment belongs to (invisible in rendered Markdown). */
export function gateReportMarker(runId: string): string {
  return `<!-- dark-factory:gate-report run=${runId} -->`;
}

export interface GateRound {
  /** The step name: `validate`, `validate-1`, … (or `revalidation` after the base moved). */
  name: string;
  outcome: ValidationOutcome;
}

/** The validate rounds of a run, in order, as the step runner stored them. */
export function validationRounds(steps: readonly StepRecord[]): GateRound[] {
  return steps
    .filter((s) => /^validate(-\d+)?$/.test(s.name) && s.result && typeof s.result === 'object')
    .map((s) => ({ name: s.name, outcome: s.result as ValidationOutcome }));
}

const MAX_REPORT_CHARS = 50_000;

function commandsCell(v: ValidationOutcome): string {
  if (v.policy && !v.policy.ok) return `policy: ${v.policy.problems.length} problem(s)`;
  const commands = v.commands?.commands ?? [];
  if (!commands.length) return '—';
  return commands
    .map((c) => `\`${c.name}\` ${c.timedOut ? 'timed out' : `exit ${c.exitCode ?? '?'}`}`)
    .join(', ');
}

function gateCell(v: ValidationOutcome, gateConfigured: boolean): string {
  if (!gateConfigured) return 'not configured';
  if (!v.gate) return 'not reached';
  return v.gate.pass ? 'pass' : `fail${v.gate.exitCode === null ? ' (not measured)' : ''}`;
}

function holdoutCell(v: ValidationOutcome, holdoutConfigured: boolean): string {
  if (!holdoutConfigured) return 'not configured';
  if (!v.holdout) return 'not reached';
  return v.holdout.pass ? 'pass' : 'fail';
}

/** The comment's Markdown (pure). `decided` is the round the merge decision used (the last one). */
export function gateReportComment(options: {
  runId: string;
  rounds: readonly GateRound[];
  gateConfigured: boolean;
  holdoutConfigured: boolean;
  secrets?: readonly string[];
}): string {
  const { runId, rounds, gateConfigured, holdoutConfigured } = options;
  const decided = rounds.at(-1);
  const gate = decided?.outcome.gate ?? null;
  const verdict = !gateConfigured
    ? 'no evals gate configured'
    : gate
      ? gate.pass
        ? 'pass'
        : 'fail'
      : 'not reached';
  const lines = [
    gateReportMarker(runId),
    `**dark-factory gate** (run \`${runId}\`): ${verdict}`,
    '',
    '| round | commands | evals gate | holdout |',
    '| --- | --- | --- | --- |',
    ...rounds.map(
      (r) =>
        `| \`${r.name}\` | ${commandsCell(r.outcome)} | ${gateCell(r.outcome, gateConfigured)} | ${holdoutCell(r.outcome, holdoutConfigured)} |`,
    ),
    '',
  ];
  if (!gateConfigured) {
    lines.push(
      "mission.md on the base branch has no `gate`: the change was judged by its validation commands and the review, not by main's evals.",
    );
  } else if (gate) {
    const report = gate.markdown.trim() || '(the judge wrote no report)';
    lines.push(
      `### Evals gate report (\`${decided?.name}\`: main's evals, main measured in the same run${gate.mainCached ? ', main from the cache' : ''})`,
      '',
      report.length > MAX_REPORT_CHARS ? `${report.slice(0, MAX_REPORT_CHARS)}\n… (cut)` : report,
    );
  } else {
    lines.push('The evals gate did not run in the last round (an earlier check failed first).');
  }
  if (decided?.outcome.holdout) {
    lines.push(
      '',
      `Sealed holdout: ${decided.outcome.holdout.pass ? 'pass' : 'fail'} (aggregate figures only; its cases are never shown).`,
    );
  }
  return redact(lines.join('\n'), options.secrets ?? []).slice(0, 65_000);
}

/**
 * Posts the run's gate comment on the pull request unless it is there already (found by its
 * marker). Returns the comment's id and whether this call wrote it.
 */
export async function postGateReport(options: {
  forge: Forge;
  pr: number;
  runId: string;
  body: string;
}): Promise<{ commentId: number; posted: boolean }> {
  const marker = gateReportMarker(options.runId);
  const existing = (await options.forge.listComments(options.pr)).find((c) => c.body.includes(marker));
  if (existing) return { commentId: existing.id, posted: false };
  const comment = await options.forge.commentOnPullRequest(options.pr, options.body);
  return { commentId: comment.id, posted: true };
}

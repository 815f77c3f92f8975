import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Policy } from '../policy/schema.ts';
import type { RunRecord } from '../runs/types.ts';
import { runEvalsGate } from '../steps/gate/index.ts';
import { checkPolicyOnDiff, type PolicyCheck } from '../steps/policy-check.ts';
import { runValidateCommands } from '../steps/validate.ts';
import type { CommandRunner } from '../tools/types.ts';
import type { Worktree } from '../workspace/types.ts';
import type { EngineDeps } from './deps.ts';
import { ensureJudge } from './judge.ts';
import type { StepOutcome } from './step-runner.ts';

/** What a fix round is told about the failure (never the earlier conversation). */
export interface ValidationFailure {
  command?: string;
  output?: string;
  gateReport?: string;
  holdout?: { pass: boolean; aggregates: Record<string, unknown> };
  reviewFindings?: { severity: string; file?: string; message: string }[];
  reviewSummary?: string;
  policy?: string[];
}

export interface ValidationOutcome {
  policy: PolicyCheck;
  commands: Awaited<ReturnType<typeof runValidateCommands>> | null;
  gate: Awaited<ReturnType<typeof runEvalsGate>>['gate'] | null;
  holdout: Awaited<ReturnType<typeof runEvalsGate>>['holdout'] | null;
  failure: ValidationFailure | null;
}

/**
 * The validate step: the diff's policy rules, then the mission's commands in the sandbox (each exit
 * code recorded), then main's evals gate and the sealed holdout. Cheap checks first: a failure
 * skips the costlier ones.
 */
export async function validateCandidate(options: {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  worktree: Worktree;
  runner: CommandRunner;
  holdoutDir: string | undefined;
  runDir: string;
}): Promise<StepOutcome<ValidationOutcome>> {
  const { deps, run, policy, worktree, runner } = options;
  const { check } = await checkPolicyOnDiff({ repo: deps.repo, worktree, policy });
  const outcome: ValidationOutcome = {
    policy: check,
    commands: null,
    gate: null,
    holdout: null,
    failure: null,
  };
  if (!check.ok) {
    outcome.failure = { policy: check.problems };
    return { status: 'failed', reason: 'policy', result: outcome };
  }
  const commands = await runValidateCommands({
    commands: policy.validate,
    runner,
    onProgress: (line) => deps.progress(`#${run.issue}   ${line}`),
  });
  outcome.commands = commands;
  if (!commands.ok) {
    const failed = commands.commands.find((c) => c.exitCode !== 0);
    outcome.failure = {
      command: failed ? `${failed.name}: ${failed.argv.join(' ')}` : 'validation',
      output: failed?.output ?? '',
    };
    return { status: 'failed', reason: 'command_failed', result: outcome };
  }
  if (policy.gate) {
    const judgeDir = await ensureJudge(deps, run.baseSha);
    const gate = await runEvalsGate({
      judgeDir,
      candidateDir: worktree.dir,
      gate: withSharedDir(policy.gate, deps.repo, deps.env),
      holdoutDir: options.holdoutDir,
      repoDir: deps.repo,
      cacheDir: deps.env.FACTORY_GATE_CACHE_DIR?.trim() || join(deps.workDir, 'gate-cache'),
      sandbox: { boundary: policy.sandbox.boundary, env: deps.env, tmpRoot: join(options.runDir, 'gate') },
      onProgress: (line: string) => deps.progress(`#${run.issue}   ${line}`),
    });
    outcome.gate = gate.gate;
    outcome.holdout = gate.holdout;
    const holdoutFailed = gate.holdout !== null && !gate.holdout.pass;
    if (!gate.gate.pass || holdoutFailed) {
      outcome.failure = {
        ...(gate.gate.pass
          ? {}
          : { command: 'evals gate (main’s evals over this branch)', gateReport: gate.gate.markdown }),
        ...(gate.holdout
          ? { holdout: { pass: gate.holdout.pass, aggregates: gate.holdout.aggregates } }
          : {}),
      };
      return { status: 'failed', reason: gate.gate.pass ? 'holdout_failed' : 'gate_failed', result: outcome };
    }
  }
  return { status: 'ok', result: outcome };
}

/**
 * Gate paths such as `../shared/corpus/…` are relative to the repository; a clone elsewhere (a temp
 * directory, a CI workspace) finds the same data under SHARED_DIR, as .ci/run does.
 */
export function withSharedDir(
  gate: NonNullable<Policy['gate']>,
  repo: string,
  env: Record<string, string | undefined>,
): NonNullable<Policy['gate']> {
  const shared = env.SHARED_DIR?.trim();
  if (!shared) return gate;
  const map = (p: string) => {
    if (isAbsolute(p) || existsSync(resolve(repo, p))) return p;
    const at = p.split(/[\\/]/).indexOf('shared');
    return at < 0 ? p : join(shared, ...p.split(/[\\/]/).slice(at + 1));
  };
  return { ...gate, corpus: map(gate.corpus), datasets: gate.datasets.map(map) };
}

import { join } from 'node:path';
import type { EngineDeps } from '../engine/deps.ts';
import type { StepOutcome } from '../engine/step-runner.ts';
import type { Policy } from '../policy/schema.ts';
import type { RunRecord } from '../runs/types.ts';
import { createCommandRunner } from '../tools/sandbox.ts';
import { git } from '../workspace/git.ts';
import { installDependencies } from '../workspace/install.ts';
import { revertCommit } from '../workspace/merge.ts';
import { pushBranch } from '../workspace/remote.ts';
import { removeWorktree } from '../workspace/worktree.ts';
import type { MergeResult } from './merge.ts';
import { runValidateCommands } from './validate.ts';

export interface VerifyResult {
  baseSha: string;
  commands: Awaited<ReturnType<typeof runValidateCommands>>;
  revertSha: string | null;
  revertPr: number | null;
}

/**
 * After the merge, main's validation runs once more on the merged commit. If it fails, the factory
 * reverts its own merge (and the run ends `post_merge_failed`: the issue is reopened with the evidence).
 */
export async function verifyAfterMerge(options: {
  deps: EngineDeps;
  run: RunRecord;
  policy: Policy;
  merge: MergeResult;
  runDir: string;
}): Promise<StepOutcome<VerifyResult>> {
  const { deps, run, policy, merge } = options;
  const online = merge.via === 'github';
  const ref = online ? `origin/${deps.base}` : deps.base;
  const baseSha = (await git(deps.repo, ['rev-parse', ref])).stdout.trim();
  const dir = join(deps.workDir, 'verify', run.id);
  await git(deps.repo, ['worktree', 'add', '--detach', '--force', dir, baseSha]);
  try {
    await installDependencies(dir, { sourceRepo: deps.repo });
    const runner = await createCommandRunner({
      boundary: policy.sandbox.boundary,
      worktree: dir,
      protectedPaths: policy.protected,
      hidden: [],
      tmpDir: join(options.runDir, 'verify-tmp'),
      env: deps.env,
      onEvent: (e) => {
        deps.store
          .addEvent({ runId: run.id, step: 'verify', kind: 'command', data: { ...e } })
          .catch(() => undefined);
      },
    });
    const commands = await runValidateCommands({
      commands: policy.validate,
      runner,
      onProgress: (line) => deps.progress(`#${run.issue}   ${line}`),
    });
    if (commands.ok) return { status: 'ok', result: { baseSha, commands, revertSha: null, revertPr: null } };
    const mergedSha = merge.mergedSha ?? baseSha;
    const message = `Revert the factory's merge for #${run.issue}: ${deps.base} failed validation after it\n\nFactory-Run: ${run.id}`;
    if (!online) {
      const revertSha = await revertCommit({ repo: deps.repo, base: deps.base, sha: mergedSha, message });
      return {
        status: 'failed',
        reason: 'post_merge_failed',
        result: { baseSha, commands, revertSha, revertPr: null },
      };
    }
    // Online: the revert goes through a pull request like any other change.
    const branch = `factory/revert-${run.issue}-${run.id.slice(0, 8)}`;
    await git(dir, ['checkout', '-q', '-b', branch]);
    await git(dir, ['revert', '--no-edit', mergedSha]);
    await pushBranch(deps.repo, branch, { remote: 'origin', force: true });
    const pr = await deps.forge.createPullRequest({
      title: `Revert the factory's change for #${run.issue}`,
      body: message,
      head: branch,
      base: deps.base,
    });
    const merged = await deps.forge.mergePullRequest(pr.number, { method: 'squash', commitMessage: message });
    return {
      status: 'failed',
      reason: 'post_merge_failed',
      result: { baseSha, commands, revertSha: merged.mergeCommitSha ?? null, revertPr: pr.number },
    };
  } finally {
    await removeWorktree(deps.repo, dir).catch(() => false);
  }
}

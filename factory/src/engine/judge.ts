import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../workspace/git.ts';
import { installDependencies } from '../workspace/install.ts';
import type { EngineDeps } from './deps.ts';

/**
 * The judge is the base commit, never the branch under test: a detached worktree of `baseSha`
 * (with its own dependencies) whose evals code, datasets and gate thresholds score the candidate.
 * Kept per commit and reused by later runs on the same base.
 */
export async function ensureJudge(deps: EngineDeps, baseSha: string): Promise<string> {
  const dir = join(deps.workDir, 'judge', baseSha);
  if (!existsSync(join(dir, '.git'))) {
    await mkdir(join(deps.workDir, 'judge'), { recursive: true });
    await git(deps.repo, ['worktree', 'prune']);
    await git(deps.repo, ['worktree', 'add', '--detach', dir, baseSha]);
  }
  if (!existsSync(join(dir, 'node_modules'))) await installDependencies(dir, { sourceRepo: deps.repo });
  return dir;
}

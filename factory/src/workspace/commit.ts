import { git, revParse } from './git.ts';
import type { GitIdentity, Worktree } from './types.ts';

/** Whether the index differs from HEAD. */
export async function hasStagedChanges(dir: string): Promise<boolean> {
  const { exitCode } = await git(dir, ['diff', '--cached', '--quiet', '--no-ext-diff'], { okExitCodes: [1] });
  return exitCode === 1;
}

/**
 * Stages everything in the worktree and commits it on its branch; returns the commit. When there is
 * nothing to commit (a resumed step that already committed) it returns HEAD unchanged.
 */
export async function commitAll(
  worktree: Pick<Worktree, 'dir'>,
  message: string,
  options: { identity?: GitIdentity } = {},
): Promise<string> {
  const { dir } = worktree;
  await git(dir, ['add', '-A']);
  if (await hasStagedChanges(dir)) {
    await git(dir, ['commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-F', '-'], {
      input: message,
      ...(options.identity ? { identity: options.identity } : {}),
    });
  }
  return revParse(dir, 'HEAD');
}

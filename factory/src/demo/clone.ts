import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { FactoryError } from '../errors.ts';
import { commitAll } from '../workspace/commit.ts';
import { git, revParse } from '../workspace/git.ts';
import { installDependencies } from '../workspace/install.ts';

/**
 * A temporary copy of a repository for the demo and the scenario tests: a local clone of its
 * committed HEAD (real git, real history), with no `origin` (nothing can be pushed back), and,
 * unless `install: false`, its dependencies installed offline from the pnpm store (the factory itself
 * needs none in the clone: every worktree it runs commands in installs its own).
 */
export async function cloneRepository(options: {
  source: string;
  dir: string;
  branch?: string;
  install?: boolean;
}): Promise<{ dir: string; head: string; installMs: number }> {
  const branch = options.branch ?? 'main';
  await git(options.source, [
    'clone',
    '--local',
    '--quiet',
    '--branch',
    branch,
    options.source,
    options.dir,
  ]).catch(async (err) => {
    // The source may be on a detached HEAD or another branch name (CI checkouts): clone HEAD as `branch`.
    if (!(err instanceof FactoryError)) throw err;
    await git(options.source, ['clone', '--local', '--quiet', options.source, options.dir]);
    await git(options.dir, ['checkout', '-q', '-B', branch]);
  });
  await git(options.dir, ['remote', 'remove', 'origin']);
  let installMs = 0;
  if (options.install !== false)
    installMs = (await installDependencies(options.dir, { sourceRepo: options.source })).durationMs;
  return { dir: options.dir, head: await revParse(options.dir, 'HEAD'), installMs };
}

/**
 * Edits mission.md's front matter in a cloned repository and commits it on the current branch, so
 * the factory (which reads the policy from the base branch) obeys the edited copy.
 */
export async function rewritePolicy(
  repoDir: string,
  patch: Record<string, unknown>,
  message = 'test policy for this copy of the repository',
): Promise<string> {
  const path = join(repoDir, 'mission.md');
  const text = await readFile(path, 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match) throw new FactoryError('policy_invalid', `${path} has no front matter`);
  const doc = parseDocument(match[1] ?? '');
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) doc.delete(key);
    else doc.set(key, value);
  }
  await writeFile(path, `---\n${doc.toString()}---\n${text.slice(match[0].length)}`);
  return commitAll({ dir: repoDir }, `chore: ${message}`);
}

import { execFileSync } from 'node:child_process';

/**
 * The git side of the fake GitHub server: a bare repository standing for the GitHub repository
 * (the one the factory pushes its branches to). A pull request's head is that branch's commit, and
 * a merge writes onto the base branch there what GitHub writes: one squash commit, or a merge
 * commit. Synchronous, because the fake server's routes are; a test server can afford it.
 */

const IDENTITY = {
  GIT_AUTHOR_NAME: 'GitHub',
  GIT_AUTHOR_EMAIL: 'noreply@github.com',
  GIT_COMMITTER_NAME: 'GitHub',
  GIT_COMMITTER_EMAIL: 'noreply@github.com',
};

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...IDENTITY },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** The branch's commit, or undefined when the branch does not exist there. */
export function branchSha(dir: string, branch: string): string | undefined {
  try {
    return git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  } catch {
    return undefined;
  }
}

export type GitMergeResult = { ok: true; sha: string } | { ok: false; message: string };

/**
 * Merges `head` into `base` in the bare repository: `squash` (and `rebase`, kept as one commit
 * here) writes one commit with base as its only parent, `merge` a commit with both parents. A
 * conflict changes nothing. The base ref moves only if it is still where it was read.
 */
export function mergeBranches(
  dir: string,
  o: { base: string; head: string; method: 'merge' | 'squash' | 'rebase'; title: string; message: string },
): GitMergeResult {
  const baseSha = branchSha(dir, o.base);
  const headSha = branchSha(dir, o.head);
  if (!baseSha || !headSha) {
    return { ok: false, message: `branch ${baseSha ? o.head : o.base} is not in the repository` };
  }
  let tree: string;
  try {
    tree = git(dir, ['merge-tree', '--write-tree', baseSha, headSha]).split('\n')[0] ?? '';
  } catch {
    return { ok: false, message: 'Merge conflict' };
  }
  const parents = o.method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
  const text = o.message ? `${o.title}\n\n${o.message}` : o.title;
  const sha = git(dir, ['commit-tree', tree, ...parents, '-m', text]);
  git(dir, ['update-ref', `refs/heads/${o.base}`, sha, baseSha]);
  return { ok: true, sha };
}

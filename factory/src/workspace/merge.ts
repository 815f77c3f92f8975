import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FactoryError, isFactoryError } from '../errors.ts';
import { hasStagedChanges } from './commit.ts';
import { conflictedPaths, dirtyPaths, git, isAncestor, revParse, tryRevParse } from './git.ts';
import type { GitIdentity, Worktree } from './types.ts';
import { removeWorktree, worktreeOfBranch } from './worktree.ts';

export const RUN_TRAILER = 'Factory-Run';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `message` with `Key: value` trailers appended (in the message's own trailer block when its last
 * paragraph already is one; a trailer already present is not repeated). Pure.
 */
export function withTrailers(message: string, trailers: Record<string, string>): string {
  const body = message.trim();
  const missing = Object.entries(trailers).filter(([key, value]) => {
    if (/[\r\n]/.test(key) || /[\r\n]/.test(value) || value.trim() === '') {
      throw new FactoryError('usage', `invalid trailer ${key}: ${JSON.stringify(value)}`, { key, value });
    }
    return !new RegExp(`^${escapeRegExp(key)}:\\s*${escapeRegExp(value)}\\s*$`, 'mi').test(body);
  });
  if (missing.length === 0) return `${body}\n`;
  const paragraphs = body.split(/\n[ \t]*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const lastIsTrailers =
    paragraphs.length > 1 && last.split('\n').every((line) => /^[A-Za-z0-9][A-Za-z0-9-]*:\s/.test(line));
  const lines = missing.map(([key, value]) => `${key}: ${value}`).join('\n');
  return `${body}${lastIsTrailers ? '\n' : '\n\n'}${lines}\n`;
}

function conflictError(what: string, files: string[], context: Record<string, unknown>): FactoryError {
  return new FactoryError('git_error', `${what} conflicts in ${files.join(', ')}`, {
    ...context,
    conflict: true,
    files,
  });
}

/**
 * Runs `op` in a working tree where `base` is checked out at its tip, then returns the commit `op`
 * left at HEAD as the base's new tip. Where `base` is checked out (the repository's own directory,
 * say) and clean, `op` runs there, so its files update; a dirty checkout is a `git_error` naming it.
 * Where it is not checked out, `op` runs in a temporary detached worktree and the branch is moved
 * with `git update-ref` compare-and-swap. A failed `op` in a checkout is rolled back to HEAD.
 */
async function commitOnBase(
  repo: string,
  base: string,
  op: (dir: string) => Promise<void>,
): Promise<{ sha: string; previous: string }> {
  const previous = await revParse(repo, `refs/heads/${base}`);
  const checkout = await worktreeOfBranch(repo, base);
  if (checkout) {
    const dirty = await dirtyPaths(checkout.dir);
    if (dirty.length > 0) {
      throw new FactoryError(
        'git_error',
        `base branch ${base} is checked out at ${checkout.dir} with uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''})`,
        { base, checkedOutAt: checkout.dir, dirty: dirty.slice(0, 50) },
      );
    }
    try {
      await op(checkout.dir);
    } catch (err) {
      await git(checkout.dir, ['reset', '--hard', '--quiet', previous]);
      await removeMergeMessages(checkout.dir);
      throw err;
    }
    return { sha: await revParse(checkout.dir, 'HEAD'), previous };
  }
  const parent = await mkdtemp(join(tmpdir(), 'factory-base-'));
  const dir = join(parent, 'wt');
  try {
    await git(repo, ['worktree', 'add', '--quiet', '--detach', dir, previous]);
    await op(dir);
    const sha = await revParse(dir, 'HEAD');
    await moveBranch(repo, base, sha, previous);
    return { sha, previous };
  } finally {
    await removeWorktree(repo, dir).catch(() => false);
    await rm(parent, { recursive: true, force: true });
  }
}

/** A stopped squash leaves SQUASH_MSG behind, which a person's next `git commit` would pick up. */
async function removeMergeMessages(dir: string): Promise<void> {
  const { stdout } = await git(dir, ['rev-parse', '--git-path', 'SQUASH_MSG', '--git-path', 'MERGE_MSG']);
  for (const path of stdout.trim().split('\n')) {
    await rm(resolve(dir, path), { force: true });
  }
}

/** `refs/heads/<base>` from `previous` to `sha`, only if it still is `previous`. */
async function moveBranch(repo: string, base: string, sha: string, previous: string): Promise<void> {
  try {
    await git(repo, ['update-ref', '-m', `dark-factory: ${base}`, `refs/heads/${base}`, sha, previous]);
  } catch (err) {
    if (isFactoryError(err, 'git_error')) {
      throw new FactoryError('git_error', `${base} moved while the factory was committing onto it`, {
        ...err.context,
        base,
        expected: previous,
        moved: true,
      });
    }
    throw err;
  }
}

async function commitStaged(dir: string, message: string, identity: GitIdentity | undefined): Promise<void> {
  await git(dir, ['commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-F', '-'], {
    input: message,
    ...(identity ? { identity } : {}),
  });
}

export interface SquashMergeOptions {
  repo: string;
  /** The branch merged into (e.g. `main`). */
  base: string;
  /** The branch whose changes are squashed. */
  branch: string;
  /** Must carry the `Factory-Run: <id>` trailer, unless `runId` is given to add it. */
  message: string;
  /** Added to the message as the `Factory-Run: <runId>` trailer. */
  runId?: string;
  identity?: GitIdentity;
}

/**
 * Squash-merges `branch` onto the tip of `base` with git and returns `base`'s new tip: one
 * single-parent commit holding the branch's changes, its message carrying the `Factory-Run` trailer
 * (in `message`, or added from `runId`; neither is a `usage` error).
 * Checkout rules as in `commitOnBase`. A branch that is already up to date with `base` becomes a
 * commit of its own tree (no merge needed); otherwise `git merge --squash` runs, and a conflict is a
 * `git_error` with `{ conflict: true, files }` and nothing changed. A squash that changes nothing is
 * a `git_error` with `{ empty: true }`.
 */
export async function squashMergeLocal(options: SquashMergeOptions): Promise<string> {
  const { repo, base, branch } = options;
  const message = options.runId
    ? withTrailers(options.message, { [RUN_TRAILER]: options.runId })
    : withTrailers(options.message, {});
  if (!new RegExp(`^${RUN_TRAILER}:\\s*\\S`, 'm').test(message)) {
    throw new FactoryError('usage', `a factory merge message must carry a ${RUN_TRAILER} trailer`, {
      base,
      branch,
    });
  }
  const branchSha = await revParse(repo, `refs/heads/${branch}`);
  const emptyError = () =>
    new FactoryError('git_error', `squash merge of ${branch} into ${base} changes nothing`, {
      base,
      branch,
      empty: true,
    });

  const checkout = await worktreeOfBranch(repo, base);
  const previous = await revParse(repo, `refs/heads/${base}`);
  if (!checkout && (await isAncestor(repo, previous, branchSha))) {
    // Up to date: the squash result is the branch's tree; no checkout needed.
    const trees = await git(repo, ['rev-parse', `${branchSha}^{tree}`, `${previous}^{tree}`]);
    const [branchTree, previousTree] = trees.stdout.trim().split('\n');
    if (branchTree === previousTree) throw emptyError();
    const { stdout } = await git(repo, ['commit-tree', branchTree!, '-p', previous, '-F', '-'], {
      input: message,
      ...(options.identity ? { identity: options.identity } : {}),
    });
    const sha = stdout.trim();
    await moveBranch(repo, base, sha, previous);
    return sha;
  }

  const { sha } = await commitOnBase(repo, base, async (dir) => {
    try {
      await git(dir, ['merge', '--squash', '--quiet', branchSha]);
    } catch (err) {
      const files = await conflictedPaths(dir);
      if (files.length > 0)
        throw conflictError(`squash merge of ${branch} into ${base}`, files, { base, branch });
      throw err;
    }
    if (!(await hasStagedChanges(dir))) throw emptyError();
    await commitStaged(dir, message, options.identity);
  });
  return sha;
}

/** Whether `base` is no longer at `sinceSha`. */
export async function baseMoved(repo: string, base: string, sinceSha: string): Promise<boolean> {
  return (await revParse(repo, `refs/heads/${base}`)) !== sinceSha;
}

export interface UpdateBranchResult {
  /** The branch's tip after the update. */
  head: string;
  /** The base commit the branch now contains: diff against this from now on. */
  baseSha: string;
  /** Nothing to do: the branch already contained the base. */
  upToDate: boolean;
}

/**
 * Brings the worktree's branch up to date with `base` (a branch or any ref, e.g.
 * `refs/remotes/origin/main`) by merging it in. The worktree must be committed. A conflict aborts
 * the merge (the branch stays as it was) and is a `git_error` with `{ conflict: true, files }`.
 */
export async function updateBranch(
  worktree: Worktree,
  base: string,
  options: { identity?: GitIdentity } = {},
): Promise<UpdateBranchResult> {
  const { dir, branch } = worktree;
  const dirty = await dirtyPaths(dir);
  if (dirty.length > 0) {
    throw new FactoryError('git_error', `worktree ${dir} has uncommitted changes; commit before updating`, {
      dir,
      dirty: dirty.slice(0, 50),
    });
  }
  const target = await revParse(dir, base);
  if (await isAncestor(dir, target, 'HEAD')) {
    return { head: await revParse(dir, 'HEAD'), baseSha: target, upToDate: true };
  }
  try {
    await git(
      dir,
      ['merge', '--quiet', '--no-edit', '--no-verify', '-m', `Merge ${base} into ${branch}`, target],
      options.identity ? { identity: options.identity } : {},
    );
  } catch (err) {
    const files = await conflictedPaths(dir);
    if (await tryRevParse(dir, 'MERGE_HEAD')) await git(dir, ['merge', '--abort']);
    if (files.length > 0) throw conflictError(`merging ${base} into ${branch}`, files, { base, branch, dir });
    throw err;
  }
  return { head: await revParse(dir, 'HEAD'), baseSha: target, upToDate: false };
}

export interface RevertOptions {
  repo: string;
  base: string;
  /** The commit to revert (e.g. the factory's own squash merge). */
  sha: string;
  /** Default: `Revert "<subject>"` and `This reverts commit <sha>.` */
  message?: string;
  /** Adds the `Factory-Run: <runId>` trailer. */
  runId?: string;
  identity?: GitIdentity;
}

/**
 * A commit on `base` that undoes `sha` (same checkout rules as `squashMergeLocal`); returns it. A
 * conflict is a `git_error` with `{ conflict: true, files }` and nothing changed.
 */
export async function revertCommit(options: RevertOptions): Promise<string> {
  const { repo, base, sha } = options;
  const { stdout: parentsLine } = await git(repo, ['rev-list', '--parents', '-n', '1', sha]);
  const parents = parentsLine.trim().split(' ').length - 1;
  const { stdout: subject } = await git(repo, ['log', '-1', '--format=%s', sha]);
  let message = options.message ?? `Revert "${subject.trim()}"\n\nThis reverts commit ${sha}.`;
  if (options.runId) message = withTrailers(message, { [RUN_TRAILER]: options.runId });
  const result = await commitOnBase(repo, base, async (dir) => {
    try {
      await git(dir, ['revert', '--no-commit', ...(parents > 1 ? ['-m', '1'] : []), sha]);
    } catch (err) {
      const files = await conflictedPaths(dir);
      await git(dir, ['revert', '--quit'], { okExitCodes: [128] });
      if (files.length > 0) throw conflictError(`reverting ${sha} on ${base}`, files, { base, sha });
      throw err;
    }
    await git(dir, ['revert', '--quit'], { okExitCodes: [128] });
    if (!(await hasStagedChanges(dir))) {
      throw new FactoryError('git_error', `reverting ${sha} on ${base} changes nothing`, {
        base,
        sha,
        empty: true,
      });
    }
    await commitStaged(dir, message, options.identity);
  });
  return result.sha;
}

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { FactoryError } from '../errors.ts';
import { git, tryRevParse } from './git.ts';
import type { Worktree, WorktreeEntry } from './types.ts';

export { installDependencies } from './install.ts';

const SLUG_MAX = 40;

/** Lowercase ASCII words joined by `-`, at most 40 characters, cut at a word boundary when one is near. */
export function slugify(title: string, max = SLUG_MAX): string {
  const ascii = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const slug = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= max) return slug || 'issue';
  let cut = slug.slice(0, max);
  const lastBreak = cut.lastIndexOf('-');
  if (slug[max] !== '-' && lastBreak >= max / 2) cut = cut.slice(0, lastBreak);
  return cut.replace(/-+$/, '') || 'issue';
}

/** `factory/<issue>-<slug>`: the branch a run for this issue works on. */
export function branchName(issue: number, title: string): string {
  if (!Number.isInteger(issue) || issue <= 0) {
    throw new FactoryError('usage', `issue number must be a positive integer, got ${issue}`, { issue });
  }
  return `factory/${issue}-${slugify(title)}`;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return resolve(a) === resolve(b) || real(a) === real(b);
}

/** Parses `git worktree list --porcelain -z`. */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | null = null;
  for (const field of output.split('\0')) {
    if (field === '') {
      if (current) entries.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      if (current) entries.push(current);
      current = { dir: value, head: null, branch: null, bare: false, prunable: false };
    } else if (current) {
      if (key === 'HEAD') current.head = value;
      else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
      else if (key === 'bare') current.bare = true;
      else if (key === 'prunable') current.prunable = true;
    }
  }
  if (current) entries.push(current);
  return entries;
}

/** Every worktree of `repo` (its main working tree first). */
export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const { stdout } = await git(repo, ['worktree', 'list', '--porcelain', '-z']);
  return parseWorktreeList(stdout);
}

/** The worktree where `branch` is checked out, if any. */
export async function worktreeOfBranch(repo: string, branch: string): Promise<WorktreeEntry | null> {
  const entries = await listWorktrees(repo);
  return entries.find((entry) => entry.branch === branch && !entry.prunable) ?? null;
}

export interface OpenWorktreeOptions {
  repo: string;
  /** The commit a new branch starts from. */
  baseSha: string;
  branch: string;
  /** Where the worktree lives (outside the repository). */
  dir: string;
}

export interface OpenedWorktree extends Worktree {
  /** `created`: new branch at baseSha; `branch-reused`: the branch existed and was checked out; `worktree-reused`: it was already there. */
  opened: 'created' | 'branch-reused' | 'worktree-reused';
}

/**
 * A worktree on `branch` at `dir`. Idempotent on resume: a worktree already at `dir` on that branch
 * is reused as it is (uncommitted work included), an existing branch is checked out, otherwise the
 * branch is created at `baseSha`. A worktree at `dir` on another branch, or the branch checked out
 * in another directory, is a `git_error`.
 */
export async function openWorktree(options: OpenWorktreeOptions): Promise<OpenedWorktree> {
  const { repo, baseSha, branch } = options;
  const dir = resolve(options.dir);
  // Forget worktrees whose directories are gone (a crashed run's temp dir was removed).
  await git(repo, ['worktree', 'prune']);
  const entries = await listWorktrees(repo);
  const atDir = entries.find((entry) => samePath(entry.dir, dir));
  if (atDir) {
    if (atDir.branch !== branch) {
      throw new FactoryError(
        'git_error',
        `worktree ${dir} is on ${atDir.branch ?? 'a detached HEAD'}, not on ${branch}`,
        { dir, branch, found: atDir.branch },
      );
    }
    return { dir, branch, baseSha, opened: 'worktree-reused' };
  }
  const elsewhere = entries.find((entry) => entry.branch === branch);
  if (elsewhere) {
    throw new FactoryError('git_error', `branch ${branch} is already checked out at ${elsewhere.dir}`, {
      dir,
      branch,
      checkedOutAt: elsewhere.dir,
    });
  }
  const existing = await tryRevParse(repo, `refs/heads/${branch}`);
  if (existing) {
    await git(repo, ['worktree', 'add', '--quiet', dir, branch]);
    return { dir, branch, baseSha, opened: 'branch-reused' };
  }
  await git(repo, ['worktree', 'add', '--quiet', '-b', branch, dir, baseSha]);
  return { dir, branch, baseSha, opened: 'created' };
}

/**
 * Removes the worktree at `dir` with everything in it (node_modules, untracked files). Returns false
 * when there was no such worktree (already removed).
 */
export async function removeWorktree(repo: string, dir: string): Promise<boolean> {
  await git(repo, ['worktree', 'prune']);
  const entries = await listWorktrees(repo);
  const entry = entries.find((candidate) => samePath(candidate.dir, dir));
  if (!entry) return false;
  if (entry === entries[0]) {
    throw new FactoryError('git_error', `refusing to remove the main working tree ${dir}`, { dir });
  }
  await git(repo, ['worktree', 'remove', '--force', '--force', entry.dir]);
  await git(repo, ['worktree', 'prune']);
  return true;
}

/** Deletes a local branch, merged or not. Returns false when it did not exist. */
export async function deleteBranch(repo: string, branch: string): Promise<boolean> {
  if (!(await tryRevParse(repo, `refs/heads/${branch}`))) return false;
  await git(repo, ['branch', '--quiet', '-D', branch]);
  return true;
}

import { FactoryError } from '../errors.ts';
import { git } from './git.ts';
import type { DiffFile, DiffSummary, Worktree } from './types.ts';

const DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '-M'];

interface NameStatus {
  status: DiffFile['status'];
  path: string;
  oldPath?: string;
}

/** Parses `git diff --name-status -z` (renames carry their source path first). */
export function parseNameStatus(output: string): NameStatus[] {
  const fields = output.split('\0');
  const entries: NameStatus[] = [];
  let i = 0;
  while (i < fields.length) {
    const code = fields[i++];
    if (!code) continue;
    const letter = code[0];
    if (letter === 'R' || letter === 'C') {
      const oldPath = fields[i++]!;
      const path = fields[i++]!;
      entries.push(letter === 'R' ? { status: 'renamed', path, oldPath } : { status: 'added', path });
      continue;
    }
    const path = fields[i++]!;
    const status = letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : 'modified';
    entries.push({ status, path });
  }
  return entries;
}

interface NumStat {
  path: string;
  oldPath?: string;
  added: number;
  deleted: number;
  binary: boolean;
}

/** Parses `git diff --numstat -z`: `A\tD\tpath\0`, or `A\tD\t\0old\0new\0` for a rename; `-\t-` marks a binary file. */
export function parseNumstat(output: string): NumStat[] {
  const fields = output.split('\0');
  const entries: NumStat[] = [];
  let i = 0;
  while (i < fields.length) {
    const head = fields[i++];
    if (!head) continue;
    const [added = '', deleted = '', inlinePath = ''] = head.split('\t');
    const binary = added === '-' && deleted === '-';
    const counts = { added: binary ? 0 : Number(added), deleted: binary ? 0 : Number(deleted), binary };
    if (inlinePath === '') {
      const oldPath = fields[i++]!;
      const path = fields[i++]!;
      entries.push({ path, oldPath, ...counts });
    } else {
      entries.push({ path: inlinePath, ...counts });
    }
  }
  return entries;
}

/** Joins name-status and numstat into the files of a diff (pure). */
export function diffFiles(nameStatus: NameStatus[], numstat: NumStat[]): DiffFile[] {
  const counts = new Map(numstat.map((entry) => [entry.path, entry]));
  return nameStatus.map((entry) => {
    const count = counts.get(entry.path);
    if (!count) {
      throw new FactoryError('git_error', `numstat has no entry for ${entry.path}`, { path: entry.path });
    }
    return {
      path: entry.path,
      ...(entry.oldPath !== undefined ? { oldPath: entry.oldPath } : {}),
      status: entry.status,
      added: count.added,
      deleted: count.deleted,
      binary: count.binary,
    };
  });
}

/**
 * Everything the worktree changed against its base commit: stages every change first (`git add -A`,
 * so new files count and ignored ones such as node_modules do not), then diffs the index against
 * `baseSha` with rename detection. Binary files are flagged and count no lines.
 */
export async function diffAgainstBase(worktree: Worktree): Promise<DiffSummary> {
  const { dir, baseSha } = worktree;
  await git(dir, ['add', '-A']);
  const [nameStatus, numstat, patch] = await Promise.all([
    git(dir, ['diff', '--cached', ...DIFF_FLAGS, '--name-status', '-z', baseSha, '--']),
    git(dir, ['diff', '--cached', ...DIFF_FLAGS, '--numstat', '-z', baseSha, '--']),
    git(dir, ['diff', '--cached', ...DIFF_FLAGS, baseSha, '--']),
  ]);
  const files = diffFiles(parseNameStatus(nameStatus.stdout), parseNumstat(numstat.stdout));
  return {
    baseSha,
    files,
    changedLines: files.reduce((sum, file) => sum + file.added + file.deleted, 0),
    patch: patch.stdout,
  };
}

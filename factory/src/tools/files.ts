import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Directories a walk never enters when the worktree is not a git repository. */
const WALK_SKIP = new Set(['.git', 'node_modules']);

async function exists(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch {
    return false;
  }
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path.join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!WALK_SKIP.has(entry.name)) await walk(root, rel, out);
    } else {
      out.push(rel);
    }
  }
}

/**
 * The worktree's files (tracked and untracked, not git-ignored, still present), POSIX paths
 * relative to the root, sorted. `under` (a normalised relative path, `.` for all) narrows it to a
 * directory or one file. Outside a git repository, a walk that skips `.git` and `node_modules`.
 */
export async function listWorktreeFiles(root: string, under = '.'): Promise<string[]> {
  let files: string[];
  try {
    const { stdout } = await run(
      'git',
      [
        '--literal-pathspecs',
        '-c',
        'core.quotePath=off',
        'ls-files',
        '-z',
        '--cached',
        '--others',
        '--exclude-standard',
        '--',
        under,
      ],
      { cwd: root, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
    );
    files = [...new Set(stdout.split('\0').filter((file) => file !== ''))];
  } catch {
    const all: string[] = [];
    const start = under === '.' ? '' : under;
    if (start !== '' && !(await exists(path.join(root, start)))) return [];
    const stat = start === '' ? undefined : await lstat(path.join(root, start));
    if (stat && !stat.isDirectory()) return [start];
    await walk(root, start, all);
    files = all;
  }
  const present = await Promise.all(files.map((file) => exists(path.join(root, file))));
  return files.filter((_, i) => present[i]).sort();
}

/**
 * The git-ignored directories (wholly untracked: `node_modules/`, caches, build output) inside
 * `dirs` (normalised relative paths), as relative paths. Empty outside a git repository.
 */
export async function listIgnoredDirs(root: string, dirs: readonly string[]): Promise<string[]> {
  if (dirs.length === 0) return [];
  try {
    const { stdout } = await run(
      'git',
      [
        '--literal-pathspecs',
        '-c',
        'core.quotePath=off',
        'ls-files',
        '-z',
        '--others',
        '--ignored',
        '--exclude-standard',
        '--directory',
        '--',
        ...dirs,
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
    );
    return stdout
      .split('\0')
      .filter((entry) => entry.endsWith('/'))
      .map((entry) => entry.replace(/\/+$/, ''))
      .sort();
  } catch {
    return [];
  }
}

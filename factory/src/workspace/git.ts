import { execFile } from 'node:child_process';
import { FactoryError } from '../errors.ts';
import type { GitIdentity } from './types.ts';

/** Who the factory's commits are by (author and committer), unless the caller names someone else. */
export const FACTORY_IDENTITY: GitIdentity = { name: 'dark-factory', email: 'factory@dark-factory.invalid' };

export interface GitOptions {
  /** Written to git's stdin (e.g. a commit message for `-F -`). */
  input?: string;
  /** Added to the environment (after every inherited GIT_* variable was removed). */
  env?: Record<string, string>;
  identity?: GitIdentity;
  /** Exit codes that are answers, not failures (e.g. 1 for `diff --quiet`). */
  okExitCodes?: number[];
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const MAX_BUFFER = 256 * 1024 * 1024;

/**
 * Settings given on every call, so the operator's or the repository's configuration cannot change
 * what the factory does: an explicit identity, no hooks (a branch under test could point
 * `core.hooksPath` at files it wrote), no signing prompt, no pager, no colour.
 */
function fixedConfig(identity: GitIdentity): string[] {
  return [
    '-c',
    `user.name=${identity.name}`,
    '-c',
    `user.email=${identity.email}`,
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'commit.gpgSign=false',
    '-c',
    'tag.gpgSign=false',
    '-c',
    'core.quotePath=false',
    '-c',
    'color.ui=false',
    '--no-pager',
  ];
}

/**
 * Inherited variables that would point git at another repository, index or identity, or inject
 * configuration (as a git hook or a CI job may have set them). Transport settings (GIT_SSH_COMMAND,
 * GIT_ASKPASS, GIT_SSL_*) pass through.
 */
const REDIRECTING_GIT_ENV =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX|AUTHOR_|COMMITTER_|CONFIG|REFLOG_ACTION|QUARANTINE_PATH|EDITOR|SEQUENCE_EDITOR)/;

function gitEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!REDIRECTING_GIT_ENV.test(name)) env[name] = value;
  }
  return {
    ...env,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    // Never wait for an editor (every message is given with -F or --no-edit).
    GIT_EDITOR: 'true',
    GIT_SEQUENCE_EDITOR: 'true',
    ...extra,
  };
}

/**
 * Runs `git <args>` in `cwd` through execFile (argv, never a shell). A non-zero exit that is not in
 * `okExitCodes` throws `FactoryError('git_error')` with `{ args, exitCode, stderr, cwd }`.
 */
export function git(cwd: string, args: string[], options: GitOptions = {}): Promise<GitResult> {
  const argv = [...fixedConfig(options.identity ?? FACTORY_IDENTITY), ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      argv,
      {
        cwd,
        env: gitEnv(options.env),
        maxBuffer: MAX_BUFFER,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0 });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        const exitCode = typeof code === 'number' ? code : null;
        if (exitCode !== null && options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const firstLine = stderr.trim().split('\n')[0] ?? '';
        const why =
          exitCode === null
            ? error.killed
              ? 'timed out'
              : String(code ?? error.message)
            : `exit ${exitCode}`;
        reject(
          new FactoryError(
            'git_error',
            `git ${args[0] ?? ''} failed (${why})${firstLine ? `: ${firstLine}` : ''}`,
            { args, exitCode, stderr: stderr.slice(0, 4000), cwd },
            { cause: error },
          ),
        );
      },
    );
    // A child that exits before reading its stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** The commit `ref` names; throws `git_error` when it names none. */
export async function revParse(cwd: string, ref: string): Promise<string> {
  const { stdout } = await git(cwd, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
  return stdout.trim();
}

/** The commit `ref` names, or null when it names none. */
export async function tryRevParse(cwd: string, ref: string): Promise<string | null> {
  const { stdout, exitCode } = await git(
    cwd,
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
    { okExitCodes: [1] },
  );
  return exitCode === 0 ? stdout.trim() : null;
}

/** The root of the working tree that holds `dir` (a worktree's own root for a linked worktree). */
export async function repoTopLevel(dir: string): Promise<string> {
  const { stdout } = await git(dir, ['rev-parse', '--show-toplevel']);
  return stdout.trim();
}

export async function hasRemote(repo: string, name = 'origin'): Promise<boolean> {
  const { stdout } = await git(repo, ['remote']);
  return stdout.split('\n').some((line) => line.trim() === name);
}

/** The branch checked out in `cwd`, or null on a detached HEAD. */
export async function currentBranch(cwd: string): Promise<string | null> {
  const { stdout, exitCode } = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'], {
    okExitCodes: [1],
  });
  return exitCode === 0 ? stdout.trim() : null;
}

/** Paths with changes (staged, unstaged or untracked-and-not-ignored) in the working tree of `cwd`. */
export async function dirtyPaths(cwd: string): Promise<string[]> {
  const { stdout } = await git(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const paths: string[] = [];
  const fields = stdout.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return paths;
}

/** No staged, unstaged or untracked (not ignored) change. */
export async function isClean(cwd: string): Promise<boolean> {
  return (await dirtyPaths(cwd)).length === 0;
}

/** Whether `ancestor` is reachable from `descendant` (true when they are the same commit). */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const { exitCode } = await git(cwd, ['merge-base', '--is-ancestor', ancestor, descendant], {
    okExitCodes: [1],
  });
  return exitCode === 0;
}

/** Paths left unmerged by a merge, revert or squash that stopped on conflicts. */
export async function conflictedPaths(cwd: string): Promise<string[]> {
  const { stdout } = await git(cwd, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(stdout.split('\0').filter(Boolean))];
}

import { git, revParse } from './git.ts';

export interface RemoteOptions {
  /** Default `origin`. */
  remote?: string;
  /**
   * An HTTPS token (e.g. GITHUB_TOKEN), sent as a Basic `x-access-token` authorization header through
   * GIT_CONFIG_* environment variables, never in argv, a URL or the repository's configuration.
   */
  token?: string;
  timeoutMs?: number;
}

const NETWORK_TIMEOUT_MS = 120_000;

function authEnv(token: string | undefined): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

/**
 * Pushes the local `branch` to the same name on the remote and returns the pushed commit. `force`
 * overwrites a remote branch that has diverged (a run that recreated its branch).
 */
export async function pushBranch(
  repo: string,
  branch: string,
  options: RemoteOptions & { force?: boolean } = {},
): Promise<string> {
  const remote = options.remote ?? 'origin';
  const sha = await revParse(repo, `refs/heads/${branch}`);
  const refspec = `${options.force ? '+' : ''}refs/heads/${branch}:refs/heads/${branch}`;
  await git(repo, ['push', '--quiet', '--no-verify', '--porcelain', remote, refspec], {
    env: authEnv(options.token),
    timeoutMs: options.timeoutMs ?? NETWORK_TIMEOUT_MS,
  });
  return sha;
}

/**
 * Fetches `base` from the remote into `refs/remotes/<remote>/<base>` (never touching a local
 * branch, which may be checked out) and returns that ref and its commit.
 */
export async function fetchBase(
  repo: string,
  base: string,
  options: RemoteOptions = {},
): Promise<{ ref: string; sha: string }> {
  const remote = options.remote ?? 'origin';
  const ref = `refs/remotes/${remote}/${base}`;
  await git(
    repo,
    ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote, `+refs/heads/${base}:${ref}`],
    {
      env: authEnv(options.token),
      timeoutMs: options.timeoutMs ?? NETWORK_TIMEOUT_MS,
    },
  );
  return { ref, sha: await revParse(repo, ref) };
}

/** Deletes a branch on the remote; a branch already gone is not an error. Returns whether it existed. */
export async function deleteRemoteBranch(
  repo: string,
  branch: string,
  options: RemoteOptions = {},
): Promise<boolean> {
  const remote = options.remote ?? 'origin';
  const env = authEnv(options.token);
  const timeoutMs = options.timeoutMs ?? NETWORK_TIMEOUT_MS;
  const { stdout } = await git(repo, ['ls-remote', '--heads', remote, `refs/heads/${branch}`], {
    env,
    timeoutMs,
  });
  if (stdout.trim() === '') return false;
  await git(repo, ['push', '--quiet', '--no-verify', remote, `:refs/heads/${branch}`], { env, timeoutMs });
  return true;
}

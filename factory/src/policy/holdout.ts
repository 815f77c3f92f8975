import { realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { FactoryError } from '../errors.ts';
import type { Policy } from './schema.ts';

/** The environment variable that names the holdout directory; it wins over `policy.holdout`. */
export const HOLDOUT_ENV = 'FACTORY_HOLDOUT_DIR';
/** The marker file a holdout directory must contain (content ignored), as `@dark-factory/evals` expects. */
export const HOLDOUT_MARKER = 'HOLDOUT';

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/**
 * The holdout directory (real path), or undefined when neither `FACTORY_HOLDOUT_DIR` nor
 * `policy.holdout` names one. A relative path resolves against `repoDir`. The directory must exist,
 * hold a `HOLDOUT` file and lie outside the repository (nor contain it): the agent's worktree can
 * then never reach it, and the sandbox hides it.
 */
export function resolveHoldoutDir(
  policy: Pick<Policy, 'holdout'>,
  env: Readonly<Record<string, string | undefined>>,
  repoDir: string,
): string | undefined {
  const fromEnv = env[HOLDOUT_ENV]?.trim();
  const configured = fromEnv || policy.holdout;
  if (!configured) return undefined;
  const origin = fromEnv ? HOLDOUT_ENV : 'policy holdout';
  const refuse = (problem: string, context: Record<string, unknown> = {}, cause?: unknown): never => {
    throw new FactoryError(
      'policy_invalid',
      `holdout directory ${configured} (${origin}): ${problem}`,
      { holdout: configured, origin, ...context },
      cause === undefined ? undefined : { cause },
    );
  };

  const wanted = resolve(repoDir, configured);
  let dir = wanted;
  try {
    dir = realpathSync(wanted);
  } catch (cause) {
    refuse('does not exist', { path: wanted }, cause);
  }
  if (!statSync(dir).isDirectory()) refuse('is not a directory', { path: dir });
  let marker: ReturnType<typeof statSync> | undefined;
  try {
    marker = statSync(join(dir, HOLDOUT_MARKER));
  } catch {
    marker = undefined;
  }
  if (!marker?.isFile()) refuse(`has no ${HOLDOUT_MARKER} file (add an empty one to mark it)`, { path: dir });

  let repo: string;
  try {
    repo = realpathSync(repoDir);
  } catch (cause) {
    return refuse(`cannot check it against the repository ${repoDir}`, { repoDir }, cause);
  }
  if (inside(repo, dir)) {
    refuse(`lies inside the repository ${repo}: the agent could read it; move it outside`, {
      path: dir,
      repo,
    });
  }
  if (inside(dir, repo)) {
    refuse(`contains the repository ${repo}: it must be a directory of its own, outside it`, {
      path: dir,
      repo,
    });
  }
  return dir;
}

import { DEFAULT_GITHUB_API_URL, GitHubForge } from './github.ts';
import { DEFAULT_LOCAL_FORGE_DIR, LocalForge } from './local.ts';
import { defaultForgeLogger, type Logger } from './log.ts';
import type { Forge } from './types.ts';

export { ForgeError, type ForgeErrorCode, ForgeErrorCodeSchema, isForgeError } from './errors.ts';
export {
  DEFAULT_GITHUB_API_URL,
  GitHubForge,
  type GitHubForgeOptions,
  GitHubRepositorySchema,
  toForgeError,
} from './github.ts';
export { DEFAULT_LOCAL_FORGE_DIR, LocalForge, type LocalForgeOptions } from './local.ts';
export { FileLock, type FileLockOptions } from './lock.ts';
export * from './types.ts';

export interface ForgeFromEnvOptions {
  /** Directory for the local forge when GitHub is not configured. Default `.data/forge` (cwd-relative). */
  localDir?: string;
  /**
   * Local forge only: who files and comments (`LocalForgeOptions.author`; e.g. FACTORY_AUTHOR or the
   * OS user). GitHub ignores it: there the token's user is the author.
   */
  author?: string;
  /** Passed to Octokit; lets tests and proxies supply their own fetch. */
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
}

/**
 * GitHub when both GITHUB_TOKEN and GITHUB_REPOSITORY are set (GITHUB_API_URL overrides the API
 * root), otherwise the local file forge.
 */
export function forgeFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: ForgeFromEnvOptions = {},
): Forge {
  const token = env.GITHUB_TOKEN?.trim() || undefined;
  const repository = env.GITHUB_REPOSITORY?.trim() || undefined;
  if (token && repository) {
    return new GitHubForge({
      token,
      repository,
      baseUrl: env.GITHUB_API_URL?.trim() || DEFAULT_GITHUB_API_URL,
      fetch: options.fetch,
      logger: options.logger,
    });
  }
  const forge = new LocalForge({
    dir: options.localDir ?? DEFAULT_LOCAL_FORGE_DIR,
    author: options.author,
    logger: options.logger,
  });
  if (token || repository) {
    // CI sets GITHUB_REPOSITORY on its own, so half a configuration is common: say which half is missing.
    (options.logger ?? defaultForgeLogger).warn(
      { missing: token ? 'GITHUB_REPOSITORY' : 'GITHUB_TOKEN', dir: forge.dir },
      'GitHub forge not fully configured; using the local forge',
    );
  }
  return forge;
}

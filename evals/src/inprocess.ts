import type { Config } from '@dark-factory/rag-app';
import { fromRag, type RagClient } from './client.ts';
import { EvalsError } from './errors.ts';

/** What this package needs of rag-app's `Rag` facade (structural, so it cannot drift). */
type OpenRag = (config: Config) => Promise<Parameters<typeof fromRag>[0]>;

/**
 * rag-app in this process, on the store its config points at. `openRag` is looked up at run time so
 * that this package type-checks against the `Rag` interface alone.
 */
export async function openInProcessClient(env: NodeJS.ProcessEnv, cwd: string): Promise<RagClient> {
  const mod = (await import('@dark-factory/rag-app')) as Record<string, unknown> & {
    loadConfig: (env: NodeJS.ProcessEnv, cwd: string) => Config;
  };
  const openRag = mod.openRag as OpenRag | undefined;
  if (typeof openRag !== 'function') {
    throw new EvalsError(
      'no_inprocess',
      '@dark-factory/rag-app does not export openRag yet: use --url <running rag-app>',
    );
  }
  const rag = await openRag(mod.loadConfig(env, cwd));
  return fromRag(rag);
}

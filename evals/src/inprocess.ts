import type { Config, RetrievalSettings } from '@dark-factory/rag-app';
import { fromRag, type RagClient } from './client.ts';
import { EvalsError } from './errors.ts';
import type { OpenVariant } from './variants.ts';

type RagFacade = Parameters<typeof fromRag>[0] & { db: unknown };
/** What this package needs of rag-app's `openRag` (structural, so it cannot drift). */
type OpenRag = (
  config: Config,
  deps?: { db?: unknown; retrieval?: Partial<RetrievalSettings> },
) => Promise<RagFacade>;

async function loadOpenRag(): Promise<{
  openRag: OpenRag;
  loadConfig: (env: NodeJS.ProcessEnv, cwd: string) => Config;
}> {
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
  return { openRag, loadConfig: mod.loadConfig };
}

/**
 * rag-app in this process, on the store its config points at. `openRag` is looked up at run time so
 * that this package type-checks against the `Rag` interface alone.
 */
export async function openInProcessClient(env: NodeJS.ProcessEnv, cwd: string): Promise<RagClient> {
  const { openRag, loadConfig } = await loadOpenRag();
  return fromRag(await openRag(loadConfig(env, cwd)));
}

/**
 * The in-process app plus an opener of variants: rag-app again with other retrieval settings, on
 * the same store connection (one owner per store). Closing the client closes the store.
 */
export async function openInProcessVariants(
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ client: RagClient; open: OpenVariant }> {
  const { openRag, loadConfig } = await loadOpenRag();
  const config = loadConfig(env, cwd);
  const rag = await openRag(config);
  const open: OpenVariant = async (retrieval) => {
    const variant = await openRag(config, { db: rag.db, retrieval });
    // The variant shares the store: it must not close it.
    return { ...fromRag(variant), close: undefined };
  };
  return { client: fromRag(rag), open };
}

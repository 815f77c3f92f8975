import { fromRag, type RagClient } from './client.ts';
import type { OpenVariant } from './variants.ts';

// rag-app is imported only when a run asks for it in process: a `--url` run never loads it.

/** rag-app in this process, on the store its config points at. */
export async function openInProcessClient(env: NodeJS.ProcessEnv, cwd: string): Promise<RagClient> {
  const { openRag, loadConfig } = await import('@dark-factory/rag-app');
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
  const { openRag, loadConfig } = await import('@dark-factory/rag-app');
  const config = loadConfig(env, cwd);
  const rag = await openRag(config);
  const open: OpenVariant = async (retrieval) => {
    const variant = await openRag(config, { db: rag.db, retrieval });
    // The variant shares the store: it must not close it.
    return { ...fromRag(variant), close: undefined };
  };
  return { client: fromRag(rag), open };
}

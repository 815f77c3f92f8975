import type { Config } from '../config.ts';
import type { Rag } from '../rag.ts';
import { type OwnerApi, ownerIsGone, readOwner, StoreInUseError } from '../store/owner.ts';
import { ServerUnreachableError } from './remote.ts';

/** The whole app (models, PGlite) loads only when this process opens the store itself. */
async function openStore(config: Config): Promise<Rag> {
  const { openRag } = await import('../open.ts');
  return openRag(config);
}

/** Opens the configured store, runs `fn` on it, closes it. */
export async function withRag<T>(config: Config, fn: (rag: Rag) => Promise<T>): Promise<T> {
  const rag = await openStore(config);
  try {
    return await fn(rag);
  } finally {
    await rag.close();
  }
}

/**
 * Opens the store, or, when a running server holds the embedded one (a second opener would corrupt
 * it), makes the same call through the server's local API. Anything else holding it is refused
 * with the one line naming the holder.
 */
export async function withStore<T>(
  config: Config,
  local: (rag: Rag) => Promise<T>,
  remote: (api: OwnerApi) => Promise<T>,
): Promise<T> {
  if (!config.DATABASE_URL) {
    // The common case beside `pnpm start`: straight to the server, without loading the app.
    const owner = await readOwner(config.pgliteDir).catch(() => undefined);
    if (owner?.api && !ownerIsGone(owner)) {
      try {
        return await remote(owner.api);
      } catch (err) {
        if (!(err instanceof ServerUnreachableError)) throw err;
      }
    }
  }
  for (let attempt = 1; ; attempt++) {
    let rag: Rag;
    try {
      rag = await openStore(config);
    } catch (err) {
      if (!(err instanceof StoreInUseError)) throw err;
      const owner = await readOwner(config.pgliteDir).catch(() => undefined);
      if (!owner?.api) throw err;
      try {
        return await remote(owner.api);
      } catch (e) {
        // The server is stopping: its owner file goes with it; look again.
        if (e instanceof ServerUnreachableError && attempt < 3) {
          await new Promise((r) => setTimeout(r, 300 * attempt));
          continue;
        }
        throw e;
      }
    }
    try {
      return await local(rag);
    } finally {
      await rag.close();
    }
  }
}

import { createRequire } from 'node:module';
import { type InitdbCache, initdbCacheSetting, seedFromInitdbCache } from '@dark-factory/kit/initdb-cache';
import { PGlite } from '@electric-sql/pglite';

/**
 * The factory's embedded databases (the run store, the queue) start as a copy of a PGlite cluster
 * made once per machine and PGlite build (kit/initdb-cache.ts), not a fresh initdb each: 6–13 CPU-s
 * less for every new store, `pnpm factory demo`'s two among them. PGLITE_INITDB_CACHE as in rag-app:
 * a directory (default `<tmp>/dark-factory-pglite`), or `off`.
 */

function factoryCache(dir: string): InitdbCache {
  return {
    dir,
    pgliteEntry: createRequire(import.meta.url).resolve('@electric-sql/pglite'),
    extensions: [],
    async initdb(into) {
      const db = await PGlite.create({ dataDir: into });
      await db.close();
    },
  };
}

/** The cache the environment names (read where the databases are opened, like DATABASE_URL). */
export function initdbCacheFromEnv(env: NodeJS.ProcessEnv = process.env): string | false {
  return initdbCacheSetting(env.PGLITE_INITDB_CACHE);
}

/** Fills a new PGlite data directory from the cache (no-op when it holds a cluster or the cache is off). */
export async function seedPgliteDir(
  dataDir: string,
  cache: string | false = initdbCacheFromEnv(),
): Promise<void> {
  if (cache) await seedFromInitdbCache(dataDir, factoryCache(cache));
}

import { createRequire } from 'node:module';
import {
  type InitdbCache,
  initdbTemplate as kitInitdbTemplate,
  seedFromInitdbCache as kitSeed,
} from '@dark-factory/kit/initdb-cache';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';

/**
 * The store's initdb cache (kit/initdb-cache.ts): a new embedded store is a copy of a cluster made
 * once per machine and PGlite build, kept in PGLITE_INITDB_CACHE (default `<tmp>/dark-factory-pglite`;
 * `off` turns it off). Made with the vector extension loaded, as every store here is opened.
 */

export { DEFAULT_INITDB_CACHE, holdsCluster, initdbCacheSetting } from '@dark-factory/kit/initdb-cache';

function storeCache(dir: string): InitdbCache {
  return {
    dir,
    pgliteEntry: createRequire(import.meta.url).resolve('@electric-sql/pglite'),
    extensions: ['vector'],
    async initdb(into) {
      const db = await PGlite.create({ dataDir: into, extensions: { vector } });
      await db.close();
    },
  };
}

/** The cached initdb cluster under `cacheDir`, made now if this PGlite build has none yet. */
export function initdbTemplate(cacheDir: string): Promise<string> {
  return kitInitdbTemplate(storeCache(cacheDir));
}

/** A new data directory filled from the cache; false when it held a cluster or the cache could not be had. */
export function seedFromInitdbCache(
  dataDir: string,
  cacheDir: string,
  onUnavailable?: (err: unknown) => void,
): Promise<boolean> {
  return kitSeed(dataDir, storeCache(cacheDir), onUnavailable);
}

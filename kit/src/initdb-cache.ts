import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, cp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildOnce } from './build-once.ts';

// PGlite's initdb costs 6–13 s of CPU on 2 cores, the same work for every new embedded database:
// what it leaves (no table of ours yet, migrations run after) depends only on the PGlite build and
// the extensions loaded. So a new data directory is filled with a copy of a cluster made once per
// machine and build (~40 MB, about a second). kit does not depend on PGlite: each package passes
// its own PGlite (its entry, its initdb) and the extensions it loads.

/** PGLITE_INITDB_CACHE's default: shared by every package's embedded databases on this machine. */
export const DEFAULT_INITDB_CACHE = path.join(tmpdir(), 'dark-factory-pglite');

const PG_VERSION = 'PG_VERSION';

export interface InitdbCache {
  /** The cache directory (one cluster per build key inside). */
  dir: string;
  /** The caller's `require.resolve('@electric-sql/pglite')`: its version and files key the cluster. */
  pgliteEntry: string;
  /** The extensions PGlite is created with, part of the key. */
  extensions: readonly string[];
  /** Makes a cluster in the empty directory `into` (PGlite.create, then close). */
  initdb(into: string): Promise<void>;
}

/**
 * The PGlite build — its version and the sizes of the files initdb runs from — not where it is
 * installed, so the worktrees of one checkout (the factory's gate) share a cluster.
 */
function buildKey(cache: InitdbCache): string {
  const dist = path.dirname(cache.pgliteEntry);
  const manifest = path.join(dist, '..', 'package.json');
  const version = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version
    : undefined;
  const sizes = ['initdb.wasm', 'pglite.wasm', 'pglite.data'].map((file) => {
    const full = path.join(dist, file);
    return existsSync(full) ? statSync(full).size : null;
  });
  return createHash('sha256')
    .update(JSON.stringify({ version, sizes, extensions: [...cache.extensions].sort() }))
    .digest('hex')
    .slice(0, 16);
}

/** PGLITE_INITDB_CACHE as the packages read it: unset is the default directory, `off` is none. */
export function initdbCacheSetting(value: string | undefined): string | false {
  if (value === undefined || value === '') return DEFAULT_INITDB_CACHE;
  return value === 'off' ? false : value;
}

/** True when `dataDir` already holds a cluster (PG_VERSION is what initdb writes, and what PGlite looks for). */
export function holdsCluster(dataDir: string): boolean {
  return existsSync(path.join(dataDir, PG_VERSION));
}

/** The cached cluster for this build, made now if there is none yet. */
export async function initdbTemplate(cache: InitdbCache): Promise<string> {
  // Only when missing: the factory's gate hands candidates an existing cache, mounted read-only.
  if (!existsSync(cache.dir)) await mkdir(cache.dir, { recursive: true });
  return buildOnce(path.join(cache.dir, `initdb-${buildKey(cache)}`), (into) => cache.initdb(into));
}

/**
 * Fills a data directory that holds no cluster yet with a copy of the cached one; false when it
 * already held one, or when the cache could not be had (read-only and empty, full: the caller's
 * PGlite then runs initdb as before). PG_VERSION is copied last: a copy cut short is redone on the
 * next open, never opened half made.
 */
export async function seedFromInitdbCache(
  dataDir: string,
  cache: InitdbCache,
  onUnavailable: (err: unknown) => void = () => {},
): Promise<boolean> {
  if (holdsCluster(dataDir)) return false;
  let template: string;
  try {
    template = await initdbTemplate(cache);
  } catch (err) {
    onUnavailable(err);
    return false;
  }
  const marker = path.join(template, PG_VERSION);
  await mkdir(dataDir, { recursive: true });
  await cp(template, dataDir, { recursive: true, force: true, filter: (source) => source !== marker });
  await copyFile(marker, path.join(dataDir, PG_VERSION));
  return true;
}

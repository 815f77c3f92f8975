import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildOnce } from '@dark-factory/kit/build-once';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';

/**
 * PGlite's initdb costs 6–13 s of CPU on 2 cores, the same work for every new embedded store: what
 * it leaves (no table of ours yet, migrations run after) depends only on the PGlite build. So a new
 * data directory is filled with a copy of a cluster made once per machine and PGlite build (~40 MB,
 * about a second), kept in PGLITE_INITDB_CACHE (default `<tmp>/dark-factory-pglite`; `off` turns it
 * off). Where the cache cannot be made (read-only, full), initdb runs as before.
 */

export const PGLITE_INITDB_CACHE_DEFAULT = path.join(tmpdir(), 'dark-factory-pglite');

const PG_VERSION = 'PG_VERSION';

/**
 * What the cluster depends on: the PGlite build — its version and the sizes of the files initdb runs
 * from — not where it is installed, so the worktrees of one checkout (the factory's gate) share it.
 */
function pgliteBuildKey(): string {
  const dist = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  const manifest = path.join(dist, '..', 'package.json');
  const version = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version
    : undefined;
  const sizes = ['initdb.wasm', 'pglite.wasm', 'pglite.data'].map((file) => {
    const full = path.join(dist, file);
    return existsSync(full) ? statSync(full).size : null;
  });
  return createHash('sha256')
    .update(JSON.stringify({ version, sizes, extensions: ['vector'] }))
    .digest('hex')
    .slice(0, 16);
}

/** True when `dataDir` already holds a cluster (PG_VERSION is what initdb writes, and what PGlite looks for). */
export function holdsCluster(dataDir: string): boolean {
  return existsSync(path.join(dataDir, PG_VERSION));
}

/** The cached initdb cluster under `cacheDir`, made now if this PGlite build has none yet. */
export function initdbTemplate(cacheDir: string): Promise<string> {
  return buildOnce(path.join(cacheDir, `initdb-${pgliteBuildKey()}`), async (into) => {
    const db = await PGlite.create({ dataDir: into, extensions: { vector } });
    await db.close();
  });
}

/**
 * Fills a data directory that holds no cluster yet with a copy of the cached one; false when it
 * already held one, or when the cache could not be had (the caller's PGlite then runs initdb).
 * PG_VERSION is copied last: a copy cut short is redone on the next open, never opened half made.
 */
export async function seedFromInitdbCache(
  dataDir: string,
  cacheDir: string,
  onUnavailable: (err: unknown) => void = () => {},
): Promise<boolean> {
  if (holdsCluster(dataDir)) return false;
  let template: string;
  try {
    // Only when missing: the factory's gate hands candidates an existing cache, mounted read-only.
    if (!existsSync(cacheDir)) await mkdir(cacheDir, { recursive: true });
    template = await initdbTemplate(cacheDir);
  } catch (err) {
    onUnavailable(err);
    return false;
  }
  const marker = path.join(template, PG_VERSION);
  await cp(template, dataDir, { recursive: true, force: true, filter: (source) => source !== marker });
  await copyFile(marker, path.join(dataDir, PG_VERSION));
  return true;
}

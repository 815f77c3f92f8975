import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_INITDB_CACHE,
  holdsCluster,
  type InitdbCache,
  initdbCacheSetting,
  initdbTemplate,
  seedFromInitdbCache,
} from '../src/initdb-cache.ts';

// kit knows nothing of PGlite: a cache is driven by the caller's initdb. Here that is a small
// function writing what initdb leaves (PG_VERSION and a few files), and a PGlite install is a
// dist directory with its package.json and the files whose sizes key the cluster.

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kit-initdb-cache-'));
});
afterAll(async () => {
  await chmod(path.join(root, 'read-only'), 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

/** A PGlite "install" at `dir`: dist/index.js, its package.json, its wasm/data files. */
async function install(dir: string, version: string, wasmBytes = 10): Promise<string> {
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: '@electric-sql/pglite', version }));
  await writeFile(path.join(dir, 'dist', 'pglite.wasm'), 'w'.repeat(wasmBytes));
  await writeFile(path.join(dir, 'dist', 'pglite.data'), 'data');
  await writeFile(path.join(dir, 'dist', 'index.js'), '');
  return path.join(dir, 'dist', 'index.js');
}

function cacheOf(dir: string, pgliteEntry: string, runs: string[], extensions: string[] = []): InitdbCache {
  return {
    dir,
    pgliteEntry,
    extensions,
    async initdb(into) {
      runs.push(into);
      await mkdir(path.join(into, 'base', '1'), { recursive: true });
      await writeFile(path.join(into, 'base', '1', 'catalog'), `made by ${pgliteEntry}`);
      await writeFile(path.join(into, 'PG_VERSION'), '17\n');
    },
  };
}

describe('the initdb cache', () => {
  it('runs initdb once per build, shared by installs of that build in other places', async () => {
    const dir = path.join(root, 'shared');
    const runs: string[] = [];
    const a = await install(path.join(root, 'worktree-a'), '0.4.6');
    const b = await install(path.join(root, 'worktree-b'), '0.4.6');
    const first = await initdbTemplate(cacheOf(dir, a, runs));
    expect(await initdbTemplate(cacheOf(dir, b, runs))).toBe(first);
    expect(runs).toHaveLength(1);
    // Another version, other files, other extensions: each its own cluster.
    const newer = await install(path.join(root, 'newer'), '0.5.0');
    const patched = await install(path.join(root, 'patched'), '0.4.6', 11);
    const others = [
      await initdbTemplate(cacheOf(dir, newer, runs)),
      await initdbTemplate(cacheOf(dir, patched, runs)),
      await initdbTemplate(cacheOf(dir, a, runs, ['vector'])),
    ];
    expect(new Set([first, ...others]).size).toBe(4);
    expect(runs).toHaveLength(4);
  });

  it('fills a new data directory with a copy, and never touches one that holds a cluster', async () => {
    const entry = await install(path.join(root, 'fill'), '0.4.6');
    const cache = cacheOf(path.join(root, 'fill-cache'), entry, []);
    const dataDir = path.join(root, 'fill-data');
    expect(await seedFromInitdbCache(dataDir, cache)).toBe(true);
    expect(holdsCluster(dataDir)).toBe(true);
    expect(await readFile(path.join(dataDir, 'base', '1', 'catalog'), 'utf8')).toBe(`made by ${entry}`);
    await writeFile(path.join(dataDir, 'base', '1', 'catalog'), 'the store has moved on');
    expect(await seedFromInitdbCache(dataDir, cache)).toBe(false);
    expect(await readFile(path.join(dataDir, 'base', '1', 'catalog'), 'utf8')).toBe('the store has moved on');
  });

  it('redoes a copy that was cut short (files but no PG_VERSION) and keeps what else is there', async () => {
    const entry = await install(path.join(root, 'cut'), '0.4.6');
    const cache = cacheOf(path.join(root, 'cut-cache'), entry, []);
    const dataDir = path.join(root, 'cut-data');
    await mkdir(path.join(dataDir, 'base', '1'), { recursive: true });
    await writeFile(path.join(dataDir, 'base', '1', 'catalog'), 'half');
    await writeFile(path.join(dataDir, 'owner.json'), '{"pid":1}');
    expect(await seedFromInitdbCache(dataDir, cache)).toBe(true);
    expect(await readFile(path.join(dataDir, 'base', '1', 'catalog'), 'utf8')).toBe(`made by ${entry}`);
    expect((await readdir(dataDir)).sort()).toEqual(['PG_VERSION', 'base', 'owner.json']);
  });

  it('copies from an existing cache it cannot write to, and says why when there is none to be had', async () => {
    const entry = await install(path.join(root, 'ro'), '0.4.6');
    const readOnly = path.join(root, 'read-only');
    const runs: string[] = [];
    await initdbTemplate(cacheOf(readOnly, entry, runs));
    await chmod(readOnly, 0o555);
    // root ignores permissions: the existing cluster is found before anything would be written.
    expect(await seedFromInitdbCache(path.join(root, 'ro-data'), cacheOf(readOnly, entry, runs))).toBe(true);
    expect(runs).toHaveLength(1);

    const notADirectory = path.join(root, 'a-file');
    await writeFile(notADirectory, '');
    const reasons: unknown[] = [];
    const dataDir = path.join(root, 'unseeded');
    const seeded = await seedFromInitdbCache(
      dataDir,
      cacheOf(path.join(notADirectory, 'cache'), entry, runs),
      (err) => reasons.push(err),
    );
    expect(seeded).toBe(false);
    expect((reasons[0] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(false);
  });

  it('reads PGLITE_INITDB_CACHE: unset or empty is the default directory, `off` is none', () => {
    expect(initdbCacheSetting(undefined)).toBe(DEFAULT_INITDB_CACHE);
    expect(initdbCacheSetting('')).toBe(DEFAULT_INITDB_CACHE);
    expect(initdbCacheSetting('off')).toBe(false);
    expect(initdbCacheSetting('/var/cache/pglite')).toBe('/var/cache/pglite');
  });
});

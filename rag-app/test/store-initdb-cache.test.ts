import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initdbCacheSetting, openPglite } from '../src/store/db.ts';
import {
  holdsCluster,
  initdbTemplate,
  PGLITE_INITDB_CACHE_DEFAULT,
  seedFromInitdbCache,
} from '../src/store/initdb-cache.ts';
import { migrate } from '../src/store/migrate.ts';

// The default cache is the one every test store here is copied from (test/support/pglite-templates.ts):
// using it costs no initdb of its own.
const cache = PGLITE_INITDB_CACHE_DEFAULT;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rag-app-initdb-cache-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('the initdb cache', () => {
  it('fills a new data directory with a cluster the app migrates and uses; each copy is its own', async () => {
    const first = path.join(root, 'first');
    const second = path.join(root, 'second');
    const a = await openPglite(first, { initdbCache: cache });
    await migrate(a);
    await a.exec(`CREATE TABLE notes (body text); INSERT INTO notes VALUES ('first')`);
    expect(holdsCluster(first)).toBe(true);
    await a.close();
    const b = await openPglite(second, { initdbCache: cache });
    // Never migrated: the copy is the cluster as initdb left it, not the first store.
    const tables = await b.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'videos'`,
    );
    expect(tables.rows[0]?.n).toBe(0);
    await b.close();
    // Reopened, the first store is the first store: seeding never touches a directory with a cluster.
    const again = await openPglite(first, { initdbCache: cache });
    expect((await again.query<{ body: string }>('SELECT body FROM notes')).rows).toEqual([{ body: 'first' }]);
    await again.close();
  });

  it('redoes a copy that was cut short (no PG_VERSION yet) instead of opening half a cluster', async () => {
    const dir = path.join(root, 'cut-short');
    await mkdir(path.join(dir, 'base'), { recursive: true });
    await writeFile(path.join(dir, 'base', 'partial'), 'x');
    expect(await seedFromInitdbCache(dir, cache)).toBe(true);
    expect(holdsCluster(dir)).toBe(true);
    const template = await initdbTemplate(cache);
    expect((await readdir(dir)).filter((n) => n !== 'base').sort()).toEqual(
      (await readdir(template)).filter((n) => n !== 'base').sort(),
    );
    expect(await seedFromInitdbCache(dir, cache)).toBe(false);
  });

  it('falls back to initdb, saying why, where the cache cannot be made', async () => {
    const notADirectory = path.join(root, 'a-file');
    await writeFile(notADirectory, '');
    const reasons: unknown[] = [];
    const dir = path.join(root, 'unseeded');
    await mkdir(dir);
    expect(
      await seedFromInitdbCache(dir, path.join(notADirectory, 'cache'), (err) => reasons.push(err)),
    ).toBe(false);
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(existsSync(path.join(dir, 'PG_VERSION'))).toBe(false);
  });

  it('reads PGLITE_INITDB_CACHE: unset is the default directory, `off` is none', () => {
    expect(initdbCacheSetting(undefined)).toBe(PGLITE_INITDB_CACHE_DEFAULT);
    expect(initdbCacheSetting('off')).toBe(false);
    expect(initdbCacheSetting('/var/cache/pglite')).toBe('/var/cache/pglite');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../src/store/db.ts';
import { DEFAULT_INITDB_CACHE, holdsCluster } from '../src/store/initdb-cache.ts';
import { migrate } from '../src/store/migrate.ts';

// The real PGlite on a copy (the cache's own cases: kit/test/initdb-cache.test.ts). The default cache is the one every test store here is copied from (test/support/pglite-templates.ts):
// using it costs no initdb of its own.
const cache = DEFAULT_INITDB_CACHE;

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
});

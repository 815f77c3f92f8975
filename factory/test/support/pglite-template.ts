/**
 * PGlite directories made once and copied into each test that needs one: PGlite's initdb costs
 * 10–45 s a database on 2 busy cores (more in memory than on disk), `cp -R` of its ~40 MB about a
 * second, and opening the copy a few. A test then opens a real, on-disk PGlite (the factory's own
 * code opens it: the run store, the queue) whose tables are already there.
 *
 * Each template is keyed by what made it (the migrations, the PGlite and pg-boss builds), so a new
 * migration or a dependency upgrade makes a new one; it is built aside and renamed into place, so
 * no test ever sees half a directory. The paths that make a database from
 * nothing stay tested where they belong: run-store.test migrates a blank cluster from version 0,
 * queue-unit.test's PostgreSQL half creates pg-boss's schema.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildOnce } from '@dark-factory/kit/build-once';
import { DEFAULT_INITDB_CACHE } from '@dark-factory/kit/initdb-cache';
import pino from 'pino';
import { openJobQueue } from '../../src/queue/open.ts';
import { DEFAULT_QUEUE_SCHEMA, DEFAULT_QUEUE_SETTINGS } from '../../src/queue/settings.ts';
import { type Db, openPglite } from '../../src/runs/db.ts';
import { seedPgliteDir } from '../../src/runs/initdb-cache.ts';
import { loadMigrations } from '../../src/runs/migrate.ts';
import { openRunStore, pgliteDir } from '../../src/runs/open.ts';

const silent = pino({ level: 'silent' });
const resolve = createRequire(import.meta.url).resolve;
const copy = promisify(execFile);

/**
 * `<tmp>/factory-<name>-template-<key>`, holding `pgdata/`, built by `build(dir)` unless it exists
 * (kit's buildOnce: one process builds it while the others wait, so two vitest workers never pay
 * for the same initdb, and none sees half of it).
 */
function template(name: string, key: unknown, build: (dir: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  return buildOnce(path.join(tmpdir(), `factory-${name}-template-${hash}`), build);
}

const pglite = resolve('@electric-sql/pglite');

/** A run store with every migration applied (also the scenario rigs' template: the same key). */
export function storeTemplate(): Promise<string> {
  store ??= template('store', { migrations: loadMigrations(), pglite }, async (dir) => {
    const opened = await openRunStore({ dataDir: dir, logger: silent, serve: false });
    await opened.close();
  });
  return store;
}
let store: Promise<string> | undefined;

/** The embedded queue's database with pg-boss's schema and the factory's two queues in it. */
export function queueTemplate(): Promise<string> {
  queue ??= template(
    'queue',
    { pglite, pgBoss: resolve('pg-boss'), schema: DEFAULT_QUEUE_SCHEMA, settings: DEFAULT_QUEUE_SETTINGS },
    async (dir) => {
      const opened = await openJobQueue({ dir, settings: DEFAULT_QUEUE_SETTINGS, logger: silent });
      await opened.close();
    },
  );
  return queue;
}
let queue: Promise<string> | undefined;

/** A PGlite cluster as initdb leaves it: no table of the factory's yet. */
export function blankTemplate(): Promise<string> {
  blank ??= template('blank', { pglite }, async (dir) => {
    // The factory's own initdb cache (src/runs/initdb-cache.ts): what a new store starts from.
    await seedPgliteDir(pgliteDir(dir), DEFAULT_INITDB_CACHE);
  });
  return blank;
}
let blank: Promise<string> | undefined;

/** Copies `template`'s database into `dir` (a store's or a queue's directory: `dir/pgdata`). */
export async function seedFrom(template: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copy('cp', ['-R', pgliteDir(template), pgliteDir(dir)]);
}

/** `storeDir` (FACTORY_STORE_DIR, or `<DATA_DIR>/factory/store`) holding a migrated run store. */
export async function seedStore(storeDir: string): Promise<void> {
  await seedFrom(await storeTemplate(), storeDir);
}

/** `queueDir` (FACTORY_QUEUE_DIR, or `<DATA_DIR>/factory/queue`) holding the embedded queue's tables. */
export async function seedQueue(queueDir: string): Promise<void> {
  await seedFrom(await queueTemplate(), queueDir);
}

/**
 * A migrated run-store database of the test's own, on a copy of the template in a temporary
 * directory that close() removes. The factory's SQL runs on it as on any store.
 */
export async function openSeededDb(): Promise<Db> {
  const dir = await mkdtemp(path.join(tmpdir(), 'factory-db-'));
  await seedStore(dir);
  const db = await openPglite(pgliteDir(dir));
  return {
    ...db,
    close: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

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
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pino from 'pino';
import { openJobQueue } from '../../src/queue/open.ts';
import { DEFAULT_QUEUE_SCHEMA, DEFAULT_QUEUE_SETTINGS } from '../../src/queue/settings.ts';
import { type Db, openPglite } from '../../src/runs/db.ts';
import { loadMigrations } from '../../src/runs/migrate.ts';
import { openRunStore, pgliteDir } from '../../src/runs/open.ts';

const silent = pino({ level: 'silent' });
const resolve = createRequire(import.meta.url).resolve;
const copy = promisify(execFile);

/**
 * `<tmp>/factory-<name>-template-<key>`, holding `pgdata/`, built by `build(dir)` unless it exists.
 * One process builds it while the others wait (a lock directory naming the builder's pid; a lock
 * whose builder is gone is taken over), so two vitest workers never pay for the same initdb.
 */
async function template(name: string, key: unknown, build: (dir: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), `factory-${name}-template-${hash}`);
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(path.join(pgliteDir(dir), 'PG_VERSION'))) return dir;
    try {
      await mkdir(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await abandoned(lock)) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      if (existsSync(path.join(pgliteDir(dir), 'PG_VERSION'))) return dir;
      const building = await mkdtemp(`${dir}-building-`);
      await build(building).catch(async (err: unknown) => {
        await rm(building, { recursive: true, force: true });
        throw err;
      });
      await rename(building, dir).catch(async (err: NodeJS.ErrnoException) => {
        // Made meanwhile without the lock (an older harness): use that one.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        await rm(building, { recursive: true, force: true });
      });
      return dir;
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** A lock whose builder has exited (or that never got its pid in a minute) is abandoned. */
async function abandoned(lock: string): Promise<boolean> {
  const pid = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => ''));
  if (!pid) {
    const age = await stat(lock)
      .then((s) => Date.now() - s.mtimeMs)
      .catch(() => 0);
    return age > 60_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
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
    await mkdir(pgliteDir(dir), { recursive: true });
    const db = await PGlite.create({ dataDir: pgliteDir(dir) });
    await db.close();
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

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { fromPglite, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { FactoryError } from '../errors.ts';
import { redactUrl } from '../runs/db.ts';
import { seedPgliteDir } from '../runs/initdb-cache.ts';
import { claimStore } from '../runs/owner.ts';
import { createPgBossJobQueue, ensureQueues } from './pg-boss-queue.ts';
import { DEFAULT_QUEUE_SCHEMA, type QueueSettings } from './settings.ts';
import type { JobQueue } from './types.ts';

export interface OpenJobQueueOptions {
  /** postgres://… → pg-boss in schema `factory_queue` on that server, shared by every worker. */
  databaseUrl?: string | undefined;
  /** Embedded default: the queue's own PGlite in `dir/pgdata`, claimed like the run store (`dir/owner.json`). */
  dir: string;
  settings: QueueSettings;
  logger: Logger;
  /** PostgreSQL schema (tests use their own). */
  schema?: string;
  /** Names this process in the message another opener of the embedded queue gets. */
  label?: string;
}

export type OpenedJobQueue = JobQueue & { readonly kind: 'pglite' | 'postgres' };

/**
 * The factory's queue: pg-boss on the PostgreSQL server, or pg-boss on PGlite in this process
 * (the embedded default: one process owns the directory, so its one worker is the only worker).
 * Both run the same SQL; jobs queued on the embedded queue survive a restart.
 */
export async function openJobQueue(options: OpenJobQueueOptions): Promise<OpenedJobQueue> {
  const log = options.logger.child({ module: 'queue' });
  const superviseSeconds = Math.max(1, Math.floor(options.settings.leaseSeconds / 2));
  const common = {
    schema: options.schema ?? DEFAULT_QUEUE_SCHEMA,
    useListenNotify: true,
    // The heartbeat check runs on each supervise pass: half a lease keeps a handover within 1.5 leases.
    superviseIntervalSeconds: superviseSeconds,
    monitorIntervalSeconds: superviseSeconds,
    schedule: false,
  };
  if (options.databaseUrl) {
    const boss = new PgBoss({ ...common, connectionString: options.databaseUrl, max: 4 });
    return start(boss, 'postgres', options, log, async () => {}, redactUrl(options.databaseUrl));
  }
  const claim = await claimStore(options.dir, { label: options.label ?? 'pnpm factory' });
  let pglite: PGlite | undefined;
  try {
    const dataDir = path.join(options.dir, 'pgdata');
    mkdirSync(dataDir, { recursive: true });
    // After the claim: only the owner fills the directory.
    await seedPgliteDir(dataDir);
    pglite = await PGlite.create({ dataDir });
  } catch (cause) {
    await claim.release();
    throw new FactoryError(
      'store_error',
      `cannot open the factory's embedded queue at ${options.dir}: ${(cause as Error).message}`,
      { dir: options.dir },
      { cause },
    );
  }
  const db = pglite;
  const boss = new PgBoss({ ...common, db: fromPglite(db), backend: 'pglite' });
  return start(
    boss,
    'pglite',
    options,
    log,
    async () => {
      await db.close();
      await claim.release();
    },
    options.dir,
  );
}

async function start(
  boss: PgBoss,
  kind: 'pglite' | 'postgres',
  options: OpenJobQueueOptions,
  log: Logger,
  onClose: () => Promise<void>,
  where: string,
): Promise<OpenedJobQueue> {
  // pg-boss reports maintenance trouble as events; a worker logs them and carries on.
  boss.on('error', (err) => log.error({ err }, 'pg-boss error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'pg-boss warning'));
  try {
    await boss.start();
    await ensureQueues(boss, options.settings);
  } catch (cause) {
    await boss.stop({ graceful: false }).catch(() => {});
    await onClose().catch(() => {});
    throw new FactoryError(
      'store_error',
      `cannot open the factory's job queue (${where}): ${(cause as Error).message}`,
      { kind },
      { cause },
    );
  }
  log.debug({ kind, schema: options.schema ?? DEFAULT_QUEUE_SCHEMA }, 'job queue open');
  const queue = createPgBossJobQueue({ boss, settings: options.settings, logger: options.logger, onClose });
  return Object.assign(queue, { kind });
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { FactoryError, isFactoryError } from '../errors.ts';
import { type Db, DEFAULT_SCHEMA, openPglite, openPostgres } from './db.ts';
import { migrate } from './migrate.ts';
import { claimStore, ownerFile, readOwner } from './owner.ts';
import { createRemoteReader } from './remote.ts';
import { startStatusServer } from './status-server.ts';
import { createSqlRunStore } from './store.ts';
import type { CostTotals, RunReader, RunStore } from './types.ts';

export interface OpenRunStoreOptions {
  /** postgres://… → schema `factory` on that server (many processes may open it). */
  databaseUrl?: string | undefined;
  /** The factory's own directory (e.g. `<DATA_DIR>/factory`): PGlite lives in `pgdata/`, the owner in `owner.json`. */
  dataDir: string;
  logger: Logger;
  /** PostgreSQL schema; default `factory` (tests use one of their own). */
  schema?: string;
  /** PGlite: publish the read-only status endpoint in owner.json (default true). */
  serve?: boolean;
  /** Names the owner in the message a second opener gets, e.g. `pnpm factory loop`. */
  label?: string;
  /** Secret values replaced in every event and step result written (see SqlRunStoreOptions). */
  secrets?: readonly string[];
}

export interface OpenedRunStore extends RunStore {
  readonly kind: 'pglite' | 'postgres';
  /** The owner's status endpoint (PGlite with `serve`), else null. */
  readonly statusUrl: string | null;
  /** Migration versions this open applied ([] when the store was up to date). */
  readonly migrated: number[];
}

export function pgliteDir(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}

/**
 * Opens the run store and migrates it. PostgreSQL: directly. PGlite: only as the single owner of
 * `dataDir` — a second opener gets `FactoryError('store_error')` naming the owner's pid — and, with
 * `serve`, with a status endpoint other processes read through (`openRunReader`).
 */
export async function openRunStore(options: OpenRunStoreOptions): Promise<OpenedRunStore> {
  const log = options.logger.child({ module: 'runs' });
  if (options.databaseUrl) {
    const db = await openPostgres(options.databaseUrl, options.schema ?? DEFAULT_SCHEMA);
    try {
      const migrated = await migrateAndLog(db, log);
      return opened(
        createSqlRunStore(db, { logger: log, secrets: options.secrets ?? [] }),
        { kind: db.kind, statusUrl: null, migrated },
        [() => db.close()],
      );
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  const claim = await claimStore(options.dataDir, options.label ? { label: options.label } : {});
  const cleanup: (() => Promise<void>)[] = [() => claim.release()];
  try {
    const db = await openPglite(pgliteDir(options.dataDir));
    cleanup.unshift(() => db.close());
    const migrated = await migrateAndLog(db, log);
    const store = createSqlRunStore(db, { logger: log, secrets: options.secrets ?? [] });
    let statusUrl: string | null = null;
    if (options.serve ?? true) {
      const server = await startStatusServer(store, { token: claim.info.token, logger: log });
      cleanup.unshift(() => server.close());
      await claim.publish(server.url);
      statusUrl = server.url;
    }
    return opened(store, { kind: db.kind, statusUrl, migrated }, cleanup);
  } catch (err) {
    await runAll(cleanup).catch(() => {});
    throw err;
  }
}

async function migrateAndLog(db: Db, log: Logger): Promise<number[]> {
  const versions = await migrate(db);
  if (versions.length > 0) log.info({ migrated: versions, kind: db.kind }, 'factory store migrated');
  return versions;
}

function opened(
  store: RunStore,
  info: Pick<OpenedRunStore, 'kind' | 'statusUrl' | 'migrated'>,
  cleanup: (() => Promise<void>)[],
): OpenedRunStore {
  let closing: Promise<void> | undefined;
  return {
    ...store,
    ...info,
    // Status endpoint first, then the database, then the owner file: nobody reads a closed store.
    close: () => {
      closing ??= runAll(cleanup);
      return closing;
    },
  };
}

async function runAll(steps: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new FactoryError(
      'store_error',
      `closing the factory store failed: ${(errors[0] as Error).message}`,
      {},
      {
        cause: errors[0],
      },
    );
  }
}

export interface OpenRunReaderOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Default: silent. */
  logger?: Logger;
  schema?: string;
}

export type OpenedRunReader = RunReader & {
  /**
   * `direct`: this process opened the store; `owner`: read through the owner's status endpoint;
   * `none`: no embedded store exists yet (nothing has run), so there is nothing to read.
   */
  readonly via: 'direct' | 'owner' | 'none';
};

/**
 * What `status` uses. PostgreSQL: always direct (many processes are fine). PGlite: direct when the
 * directory is free, else through the owner's status endpoint, else the owner's in-use error.
 */
export async function openRunReader(options: OpenRunReaderOptions): Promise<OpenedRunReader> {
  const logger = options.logger ?? pino({ level: 'silent' });
  // Reading must not create a database: without one there are no runs.
  if (
    !options.databaseUrl &&
    !existsSync(pgliteDir(options.dataDir)) &&
    !existsSync(ownerFile(options.dataDir))
  ) {
    return Object.assign(emptyReader(), { via: 'none' as const });
  }
  try {
    const store = await openRunStore({ ...options, logger, serve: false, label: 'pnpm factory status' });
    return Object.assign(store, { via: 'direct' as const });
  } catch (err) {
    if (options.databaseUrl || !isFactoryError(err, 'store_error') || err.context.reason !== 'in_use')
      throw err;
    const owner = await readOwner(options.dataDir);
    if (!owner?.url) throw err;
    logger.debug({ url: owner.url, pid: owner.pid }, 'reading the factory store through its owner');
    return Object.assign(createRemoteReader({ url: owner.url, token: owner.token }), {
      via: 'owner' as const,
    });
  }
}

function emptyReader(): RunReader {
  const none: CostTotals = {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    usd: 0,
    knownUsd: 0,
    unpricedCalls: 0,
    calls: 0,
  };
  return {
    getRun: async () => undefined,
    listRuns: async () => [],
    activeRun: async () => undefined,
    steps: async () => [],
    events: async () => [],
    runCost: async () => ({ ...none }),
    ledger: async () => [],
    costSince: async () => ({ ...none }),
    close: async () => {},
  };
}

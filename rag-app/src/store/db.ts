import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { StoreError } from '../errors.ts';
import { DEFAULT_INITDB_CACHE, seedFromInitdbCache } from './initdb-cache.ts';

import { claimStore, type StoreClaim } from './owner.ts';

export interface QueryResult<T> {
  rows: T[];
  affectedRows: number;
}

/** The one thing every store module needs: run SQL with $1-style parameters. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** A database: PGlite (embedded) or a PostgreSQL server, behind one code path. */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: all of it commits, or none of it. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** An embedded store on disk: this process's claim on its directory (owner.json). */
  readonly owner?: StoreClaim;
}

export interface OpenDbOptions {
  /** postgres://… ; when absent the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Directory for PGlite's files; undefined means in memory. */
  dataDir?: string | undefined;
  /** Who opens it, for the in-use message (`pnpm start`); guessed from argv by default. */
  command?: string | undefined;
  /** Where a new data directory's cluster is copied from (store/initdb-cache.ts); false: run initdb. */
  initdbCache?: string | false | undefined;
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPglite(options.dataDir, options);
}

/**
 * Opens the embedded database. A directory is claimed first (store/owner.ts): a second process,
 * or a second open in this one, gets StoreInUseError instead of a corrupted store.
 */
export async function openPglite(
  dataDir?: string,
  options: Pick<OpenDbOptions, 'command' | 'initdbCache'> = {},
): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const owner = dataDir
    ? await claimStore(dataDir, options.command ? { command: options.command } : {})
    : undefined;
  let pglite: PGlite;
  try {
    // After the claim: only the owner fills the directory.
    const cache = options.initdbCache ?? DEFAULT_INITDB_CACHE;
    if (dataDir && cache) await seedFromInitdbCache(dataDir, cache);
    pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } });
  } catch (cause) {
    await owner?.release();
    throw new StoreError(
      `cannot open the embedded database at ${dataDir ?? 'memory'}`,
      { dataDir },
      { cause },
    );
  }
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const res = await q.query<T>(sql, params);
      return { rows: res.rows, affectedRows: res.affectedRows ?? 0 };
    },
  });
  const base = wrap(pglite);
  return {
    kind: 'pglite',
    query: base.query,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    close: async () => {
      try {
        await pglite.close();
      } finally {
        await owner?.release();
      }
    },
    ...(owner ? { owner } : {}),
  };
}

/**
 * True for a failure of the connection rather than of the statement: no SQLSTATE at all (a refused
 * or dropped socket, a timeout), class 08 (connection exception), 57P (the server shutting down),
 * 53300 (too many connections). A statement's own error (a unique violation, say) is not one.
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57P') || code === '53300';
}

/** Connection failures become StoreError (the API answers 503 with a reason); SQL errors pass as they are. */
async function onStore<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StoreError || !isConnectionFailure(err)) throw err;
    throw new StoreError(
      `the database is unreachable (${what}): ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}

export async function openPostgres(databaseUrl: string): Promise<Db> {
  // Bounded waits: a database that is down fails a request in seconds instead of hanging it.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8, connectionTimeoutMillis: 5000 });
  // A dropped idle connection must not crash the process.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new StoreError(`cannot connect to DATABASE_URL (${redact(databaseUrl)})`, {}, { cause });
  }
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const res = await onStore('query', () => q.query(sql, params as unknown[]));
      return { rows: res.rows as T[], affectedRows: res.rowCount ?? 0 };
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async transaction(fn) {
      const client = await onStore('connect', () => pool.connect());
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        broken = isConnectionFailure(err);
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        // A connection that failed is dropped from the pool, not handed to the next caller.
        client.release(broken);
      }
    },
    exec: async (sql) => {
      await onStore('exec', () => pool.query(sql));
    },
    close: () => pool.end(),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

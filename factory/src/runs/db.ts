import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { FactoryError } from '../errors.ts';
import { seedPgliteDir } from './initdb-cache.ts';

export interface QueryResult<T> {
  rows: T[];
  affectedRows: number;
}

/** Runs SQL with $1-style parameters. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** The factory's database: embedded PGlite or a PostgreSQL server (schema `factory`), one code path. */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** The schema the tables live in (`public` on PGlite: the directory is the factory's alone). */
  readonly schema: string;
  /** Runs `fn` on one connection in one transaction: all of it commits, or none of it. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const DEFAULT_SCHEMA = 'factory';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export interface OpenDbOptions {
  /** postgres://… ; when absent the embedded PGlite at `pgliteDir` is used. */
  databaseUrl?: string | undefined;
  /** PGlite's own directory; undefined means in memory. */
  pgliteDir?: string | undefined;
  /** PostgreSQL schema (default `factory`); created by the migrations when missing. */
  schema?: string | undefined;
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.schema ?? DEFAULT_SCHEMA);
  return openPglite(options.pgliteDir);
}

export async function openPglite(dir?: string): Promise<Db> {
  let db: PGlite;
  try {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await seedPgliteDir(dir);
    }
    db = await PGlite.create(dir ? { dataDir: dir } : {});
  } catch (cause) {
    throw new FactoryError(
      'store_error',
      `cannot open the factory's embedded database at ${dir ?? 'memory'}: ${message(cause)}`,
      { dir },
      { cause },
    );
  }
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const res = await q.query<T>(sql, params);
      return { rows: res.rows, affectedRows: res.affectedRows ?? 0 };
    },
  });
  return {
    kind: 'pglite',
    schema: 'public',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/**
 * A pool whose every connection has `search_path` set to `schema` (startup option), so the same
 * unqualified SQL runs on PGlite and on a shared server without touching anyone else's tables.
 */
export async function openPostgres(databaseUrl: string, schema = DEFAULT_SCHEMA): Promise<Db> {
  if (!IDENTIFIER.test(schema)) {
    throw new FactoryError('store_error', `invalid schema name ${JSON.stringify(schema)}`, { schema });
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${schema}` });
  // A dropped idle connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      const res = await client.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
      const path = res.rows[0]?.path;
      // An `options` parameter in DATABASE_URL wins over ours: refuse rather than write elsewhere.
      if (path !== schema) throw new Error(`search_path is ${JSON.stringify(path)}, expected ${schema}`);
    } finally {
      client.release();
    }
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new FactoryError(
      'store_error',
      `cannot connect to DATABASE_URL (${redactUrl(databaseUrl)}): ${message(cause)}`,
      { schema },
      { cause },
    );
  }
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const res = await q.query(sql, params);
      return { rows: res.rows as T[], affectedRows: res.rowCount ?? 0 };
    },
  });
  return {
    kind: 'postgres',
    schema,
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

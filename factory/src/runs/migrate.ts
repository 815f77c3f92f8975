import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FactoryError } from '../errors.ts';
import type { Db, Queryable } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Migrations are files `NNN_name.sql` in runs/migrations, applied in order, each once. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.slice(4, -4),
      sql: readFileSync(path.join(dir, f), 'utf8'),
    }));
}

/**
 * Applies the pending migrations in ONE transaction and returns their versions. On PostgreSQL the
 * transaction first takes an advisory lock keyed by the schema, so two processes migrating at once
 * queue up: the second sees the first's work once the lock is its own (READ COMMITTED) and applies
 * nothing. The schema is created here when missing. A store migrated by a newer factory is refused.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  try {
    return await db.transaction(async (tx) => {
      if (db.kind === 'postgres') {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dark-factory.migrate.${db.schema}`]);
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
      }
      await tx.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await appliedVersions(tx);
      const known = new Map(migrations.map((m) => [m.version, m.name]));
      for (const [version, name] of done) {
        if (known.get(version) !== name) {
          throw new FactoryError(
            'store_error',
            `the factory store has migration ${version}_${name}, which this factory does not know (migrated by a newer or different version?)`,
            { version, name },
          );
        }
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        try {
          for (const statement of splitStatements(m.sql)) await tx.query(statement);
        } catch (cause) {
          throw new FactoryError(
            'store_error',
            `migration ${m.version}_${m.name} failed: ${(cause as Error).message}`,
            { version: m.version },
            { cause },
          );
        }
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(m.version);
      }
      return applied;
    });
  } catch (err) {
    if (err instanceof FactoryError) throw err;
    throw new FactoryError(
      'store_error',
      `cannot migrate the factory store: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}

async function appliedVersions(tx: Queryable): Promise<Map<number, string>> {
  const res = await tx.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations',
  );
  return new Map(res.rows.map((r) => [r.version, r.name]));
}

/** Splits a migration on `;` at line ends; migrations keep one statement per `;\n` (no $$ bodies). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../errors.ts';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Migrations are files `NNN_name.sql` in store/migrations, applied in order, each once. */
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

export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  // Serialise concurrent migrators (several server processes) on the PostgreSQL server.
  const lockKey = 7_130_431;
  if (db.kind === 'postgres') await db.query('SELECT pg_advisory_lock($1)', [lockKey]);
  try {
    const done = new Set(
      (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await db.transaction(async (tx) => {
          for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
          await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
        });
      } catch (cause) {
        throw new StoreError(
          `migration ${m.version}_${m.name} failed: ${(cause as Error).message}`,
          {},
          { cause },
        );
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    if (db.kind === 'postgres') await db.query('SELECT pg_advisory_unlock($1)', [lockKey]);
  }
}

/**
 * Splits a migration on `;` at line ends, outside dollar-quoted bodies (`$$ … $$`, trigger
 * functions), and drops whole-line comments outside them.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  // Odd parts are inside $$ … $$: kept whole; even parts are split.
  const parts = sql.split('$$');
  let current = '';
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      current += `$$${part}$$`;
      return;
    }
    const pieces = part.split(/;\s*(?:\n|$)/);
    pieces.forEach((piece, j) => {
      current += piece.replace(/^\s*--.*$/gm, '');
      if (j < pieces.length - 1) {
        out.push(current);
        current = '';
      }
    });
  });
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

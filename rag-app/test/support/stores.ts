import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { type Db, openPglite, openPostgres } from '../../src/store/db.ts';

export interface StoreTarget {
  name: string;
  open(): Promise<Db>;
}

/**
 * Database tests run on PGlite always and on the PostgreSQL server when DATABASE_URL is set.
 * Each server database gets its own schema so test files never see each other's rows.
 */
export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [{ name: 'pglite', open: () => openPglite() }];
  const url = process.env.DATABASE_URL;
  if (url) {
    targets.push({
      name: 'postgres',
      async open() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.end();
        const u = new URL(url);
        u.searchParams.set('options', `-c search_path=${schema},public`);
        const db = await openPostgres(u.toString());
        const close = db.close;
        return {
          ...db,
          async close() {
            await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
            await close();
          },
        };
      },
    });
  }
  return targets;
}

export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../../shared');
export const CORPUS_DIR = path.join(SHARED_DIR, 'corpus/cole-medin');

/**
 * In CI the shared data is a required fixture (a skipped test there would be a check that cannot
 * fail). A CI without access to it (e.g. a fork's pull request) sets CI_ALLOW_MISSING_SHARED=1.
 */
export const mustHaveShared = Boolean(process.env.CI) && !process.env.CI_ALLOW_MISSING_SHARED;

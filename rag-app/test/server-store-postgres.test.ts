/**
 * The service's shared state under real concurrency: two connection pools to one PostgreSQL server
 * stand for two server processes. Runs when DATABASE_URL is set (CI and this machine set it).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitError } from '../src/limits/errors.ts';
import { hitIpRate, takeDailyMessage } from '../src/limits/usage.ts';
import { type Db, openPostgres } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { acquireLease, readLease, releaseLease } from '../src/sync/lease.ts';

const url = process.env.DATABASE_URL;
const schema = `svc_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** A pool whose every connection works in the test's own schema. */
function inSchema(base: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema},public`);
  return u.toString();
}

describe.skipIf(!url)('service state on PostgreSQL, two processes', () => {
  let a: Db;
  let b: Db;

  beforeAll(async () => {
    const admin = await openPostgres(url!);
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.close();
    a = await openPostgres(inSchema(url!));
    b = await openPostgres(inSchema(url!));
    // Every migration, as a real store has them: a later corpus migration (142) builds on 001's tables.
    await migrate(a);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (url) {
      const admin = await openPostgres(url);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  });

  it('never lets concurrent requests past the daily cap', async () => {
    const { rows } = await a.query<{ id: string }>(
      "INSERT INTO users (email, password_hash) VALUES ('race@example.com', 'x') RETURNING id",
    );
    const userId = Number(rows[0]!.id);
    const now = new Date();
    const attempts = Array.from({ length: 24 }, (_, i) => takeDailyMessage(i % 2 ? a : b, userId, 5, now));
    const results = await Promise.allSettled(attempts);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.reason).toBeInstanceOf(LimitError);
    expect(refused.every((r) => (r.reason as LimitError).code === 'daily_cap_reached')).toBe(true);
  });

  it('counts per-IP hits exactly across processes', async () => {
    const now = new Date('2026-08-01T10:00:30Z');
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => hitIpRate(i % 2 ? a : b, '192.0.2.9', 10, now)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const { rows } = await a.query<{ hits: number }>(
      "SELECT hits FROM rate_windows WHERE bucket = 'ip:192.0.2.9'",
    );
    expect(rows).toEqual([{ hits: 30 }]);
  });

  it('gives the sync lease to exactly one of many concurrent takers', async () => {
    const now = new Date();
    const takers = Array.from({ length: 12 }, (_, i) => `proc-${i}`);
    const won = await Promise.all(
      takers.map((h, i) => acquireLease(i % 2 ? a : b, 'sync-test', h, 60_000, now)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    const holder = takers[won.indexOf(true)]!;
    expect((await readLease(b, 'sync-test', now))?.holder).toBe(holder);
    await releaseLease(a, 'sync-test', 'someone-else');
    expect((await readLease(b, 'sync-test', now))?.holder).toBe(holder);
    await releaseLease(a, 'sync-test', holder);
    expect(await readLease(b, 'sync-test', now)).toBeNull();
  });
});

import type { Queryable } from './db.ts';

/** How many videos the store holds (the library's size, for stats and readiness). */
export async function countVideos(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM videos');
  return Number(rows[0]?.n ?? 0);
}

/** Whether the store answers at all (readiness). */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

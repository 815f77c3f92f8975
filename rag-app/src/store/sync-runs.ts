import type { Queryable } from './db.ts';

/**
 * The `sync_runs` table: one row per ingestion the service ran, for the admin page and /readyz.
 * A row says `running` until its run ends; whether it really is running is judged from the lease.
 */

export type StoredRunStatus = 'running' | 'done' | 'partial' | 'failed' | 'interrupted';

export interface SyncRunRow<Plan = unknown, Summary = unknown> {
  id: string;
  trigger: string;
  holder: string;
  refs: Plan;
  status: StoredRunStatus;
  started_at: Date | string;
  finished_at: Date | string | null;
  summary: Summary | null;
  error: string | null;
}

/** Ends every run still marked running: called by the lease's new holder, so their processes are gone. */
export async function markRunningInterrupted(db: Queryable, now: Date, error: string): Promise<void> {
  await db.query(
    `UPDATE sync_runs SET status = 'interrupted', finished_at = $1, error = $2 WHERE status = 'running'`,
    [now, error],
  );
}

export async function insertRun(
  db: Queryable,
  run: { trigger: string; holder: string; plan: unknown; startedAt: Date },
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO sync_runs (trigger, holder, refs, status, started_at) VALUES ($1, $2, $3, 'running', $4) RETURNING id`,
    [run.trigger, run.holder, JSON.stringify(run.plan), run.startedAt],
  );
  return Number(rows[0]!.id);
}

export async function recordRunProgress(db: Queryable, runId: number, progress: unknown): Promise<void> {
  await db.query('UPDATE sync_runs SET summary = $2 WHERE id = $1', [runId, JSON.stringify(progress)]);
}

export async function finishRun(
  db: Queryable,
  runId: number,
  end: { status: StoredRunStatus; finishedAt: Date; summary: unknown; error: string | null },
): Promise<void> {
  await db.query(
    'UPDATE sync_runs SET status = $2, finished_at = $3, summary = $4, error = $5 WHERE id = $1',
    [runId, end.status, end.finishedAt, JSON.stringify(end.summary), end.error],
  );
}

/** A run that threw: failed, keeping the progress it recorded. */
export async function failRun(db: Queryable, runId: number, finishedAt: Date, error: string): Promise<void> {
  await db.query(`UPDATE sync_runs SET status = 'failed', finished_at = $2, error = $3 WHERE id = $1`, [
    runId,
    finishedAt,
    error,
  ]);
}

export async function latestRuns<Plan, Summary>(
  db: Queryable,
  limit: number,
): Promise<SyncRunRow<Plan, Summary>[]> {
  const { rows } = await db.query<SyncRunRow<Plan, Summary>>(
    'SELECT * FROM sync_runs ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows;
}

export async function latestRunsOf<Plan, Summary>(
  db: Queryable,
  trigger: string,
  limit: number,
): Promise<SyncRunRow<Plan, Summary>[]> {
  const { rows } = await db.query<SyncRunRow<Plan, Summary>>(
    'SELECT * FROM sync_runs WHERE trigger = $1 ORDER BY id DESC LIMIT $2',
    [trigger, limit],
  );
  return rows;
}

export async function runError(db: Queryable, runId: number): Promise<string | null> {
  const { rows } = await db.query<{ error: string | null }>('SELECT error FROM sync_runs WHERE id = $1', [
    runId,
  ]);
  return rows[0]?.error ?? null;
}

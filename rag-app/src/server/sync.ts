import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Rag } from '../rag.ts';
import type { Db } from '../store/db.ts';
import type { IngestItemResult, IngestSummary, SourceItem } from '../types.ts';
import type { Clock, ItemStream, SourceFactory } from './context.ts';
import { ApiError } from './http-errors.ts';
import { acquireLease, type LeaseState, readLease, releaseLease, renewLease } from './lease.ts';
import type { SyncPlan } from './sync-sources.ts';

/** One lease for every ingestion the service starts: the corpus-wide models are refitted on ingest. */
export const INGEST_LEASE = 'ingest';
const LEASE_TTL_MS = 5 * 60 * 1000;

export type SyncTrigger =
  | 'schedule'
  | 'admin-add'
  | 'admin-resync'
  | 'admin-resync-all'
  | 'bootstrap'
  | 'cli-ingest';

export interface StartOptions {
  /** Ingest these items (read by the caller, e.g. `rag ingest` beside the server) instead of the plan's sources. */
  items?: ItemStream;
  /** Called after each item, like IngestOptions.onItem. */
  onItem?: (result: IngestItemResult, done: number) => void;
}

export interface SyncRun {
  id: number;
  trigger: string;
  holder: string;
  refs: SyncPlan;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  summary: (Partial<IngestSummary> & { done?: number }) | null;
  error: string | null;
}

export interface SyncStatus {
  lease: LeaseState | null;
  runs: SyncRun[];
}

export interface Syncer {
  /** Takes the lease (or throws 409 `sync_busy`) and ingests in the background. */
  start(
    trigger: SyncTrigger,
    plan: SyncPlan,
    options?: StartOptions,
  ): Promise<{ runId: number; done: Promise<IngestSummary | null> }>;
  /** `start` and wait for the result. */
  run(trigger: SyncTrigger, plan: SyncPlan): Promise<{ runId: number; summary: IngestSummary | null }>;
  status(limit?: number): Promise<SyncStatus>;
  /** Runs `plan()` every `minutes`, never overlapping itself (in this process or any other). */
  schedule(minutes: number, plan: () => Promise<SyncPlan>): void;
  /** Stops the schedule and waits for running work. */
  stop(): Promise<void>;
}

export interface SyncDeps {
  db: Db;
  rag: Rag;
  sources: SourceFactory;
  clock: Clock;
  logger: Logger;
  holder: string;
}

async function* itemsOf(sources: SourceFactory, plan: SyncPlan): AsyncIterable<SourceItem> {
  const only = plan.only ? new Set(plan.only) : null;
  const wanted = (item: SourceItem) =>
    !only || (item.ok ? only.has(item.transcript.videoId) : only.has(item.ref));
  if (plan.refs.length > 0) yield* sources.youtube(plan.refs);
  for (const dir of plan.dirs) {
    for await (const item of sources.corpus(dir)) if (wanted(item)) yield item;
  }
}

interface RunRow {
  id: string;
  trigger: string;
  holder: string;
  refs: SyncPlan;
  status: SyncRun['status'];
  started_at: Date | string;
  finished_at: Date | string | null;
  summary: SyncRun['summary'];
  error: string | null;
}

function toRun(r: RunRow): SyncRun {
  return {
    id: Number(r.id),
    trigger: r.trigger,
    holder: r.holder,
    refs: r.refs,
    status: r.status,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    summary: r.summary,
    error: r.error,
  };
}

export function createSyncer(deps: SyncDeps): Syncer {
  const { db, rag, sources, clock, logger, holder } = deps;
  const running = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function execute(
    runId: number,
    trigger: SyncTrigger,
    plan: SyncPlan,
    options: StartOptions,
  ): Promise<IngestSummary | null> {
    const renew = setInterval(() => {
      renewLease(db, INGEST_LEASE, holder, LEASE_TTL_MS, clock())
        .then((held) => {
          if (!held) logger.error({ runId }, 'sync lease lost while ingesting');
        })
        .catch((err) => logger.warn({ err, runId }, 'sync lease renewal failed'));
    }, LEASE_TTL_MS / 3);
    renew.unref();
    let progress = Promise.resolve();
    try {
      const summary = await rag.ingest(options.items ?? itemsOf(sources, plan), {
        onItem: (item, done) => {
          options.onItem?.(item, done);
          progress = progress
            .then(() =>
              db.query('UPDATE sync_runs SET summary = $2 WHERE id = $1', [runId, JSON.stringify({ done })]),
            )
            .then(() => undefined)
            .catch(() => undefined);
        },
      });
      await progress;
      await db.query(`UPDATE sync_runs SET status = 'done', finished_at = $2, summary = $3 WHERE id = $1`, [
        runId,
        clock(),
        JSON.stringify(summary),
      ]);
      logger.info(
        { runId, trigger, added: summary.added, updated: summary.updated, failed: summary.failed },
        'sync finished',
      );
      return summary;
    } catch (err) {
      await progress;
      logger.error({ err, runId, trigger }, 'sync failed');
      await db
        .query(`UPDATE sync_runs SET status = 'failed', finished_at = $2, error = $3 WHERE id = $1`, [
          runId,
          clock(),
          errorMessage(err),
        ])
        .catch(() => undefined);
      return null;
    } finally {
      clearInterval(renew);
      await releaseLease(db, INGEST_LEASE, holder).catch((err) =>
        logger.warn({ err }, 'lease release failed'),
      );
    }
  }

  const syncer: Syncer = {
    async start(trigger, plan, options = {}) {
      const now = clock();
      if (!(await acquireLease(db, INGEST_LEASE, holder, LEASE_TTL_MS, now))) {
        const lease = await readLease(db, INGEST_LEASE, now);
        throw new ApiError(
          409,
          'sync_busy',
          `an ingestion is already running${lease ? ` (since ${lease.acquiredAt})` : ''}; try again when it finishes`,
        );
      }
      let runId: number;
      try {
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO sync_runs (trigger, holder, refs, status, started_at) VALUES ($1, $2, $3, 'running', $4) RETURNING id`,
          [trigger, holder, JSON.stringify(plan), now],
        );
        runId = Number(rows[0]!.id);
      } catch (err) {
        await releaseLease(db, INGEST_LEASE, holder).catch(() => undefined);
        throw err;
      }
      logger.info({ runId, trigger, refs: plan.refs.length, dirs: plan.dirs }, 'sync started');
      const done = execute(runId, trigger, plan, options);
      running.add(done);
      void done.finally(() => running.delete(done));
      return { runId, done };
    },

    async run(trigger, plan) {
      const { runId, done } = await syncer.start(trigger, plan);
      return { runId, summary: await done };
    },

    async status(limit = 10) {
      const [lease, runs] = await Promise.all([
        readLease(db, INGEST_LEASE, clock()),
        db.query<RunRow>('SELECT * FROM sync_runs ORDER BY id DESC LIMIT $1', [limit]),
      ]);
      return { lease, runs: runs.rows.map(toRun) };
    },

    schedule(minutes, plan) {
      if (!(minutes > 0)) return;
      const tick = async () => {
        try {
          const p = await plan();
          if (p.refs.length === 0 && p.dirs.length === 0) {
            logger.warn('scheduled sync has nothing to do: SYNC_SOURCES is empty');
          } else {
            await syncer.run('schedule', p);
          }
        } catch (err) {
          if (err instanceof ApiError && err.code === 'sync_busy')
            logger.info('scheduled sync skipped: busy elsewhere');
          else logger.error({ err }, 'scheduled sync failed');
        }
        // The next tick is set only after this one ends, so the loop cannot overlap itself.
        if (!stopped) timer = setTimeout(tick, minutes * 60_000).unref();
      };
      timer = setTimeout(tick, minutes * 60_000).unref();
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
  };
  return syncer;
}

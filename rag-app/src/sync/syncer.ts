import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Rag } from '../rag.ts';
import type { Db } from '../store/db.ts';
import * as runs from '../store/sync-runs.ts';
import type { IngestItemResult, IngestSummary, SourceItem } from '../types.ts';
import { SyncError } from './errors.ts';
import {
  acquireLease,
  holderIsGone,
  type LeaseState,
  leaseHolder,
  readLease,
  releaseLease,
  renewLease,
  takeOverLease,
} from './lease.ts';
import type { SyncPlan } from './plan.ts';
import type { ItemStream, SourceFactory } from './sources.ts';

/** One lease for every ingestion the service starts: the corpus-wide models are refitted on ingest. */
export const INGEST_LEASE = 'ingest';
/** Renewed every third of it while a run is alive, so a dead run blocks others for at most this long. */
export const LEASE_TTL_MS = 60 * 1000;

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

/**
 * `running` only while the run's lease is held (derived from the lease, not trusted from the row);
 * `interrupted` for a run whose process died; `partial` when some items failed and others went in;
 * `failed` when nothing went in (every item failed, or the run itself threw).
 */
export type SyncRunStatus = 'running' | 'done' | 'partial' | 'failed' | 'interrupted';

export interface SyncRun {
  id: number;
  trigger: string;
  holder: string;
  refs: SyncPlan;
  status: SyncRunStatus;
  startedAt: string;
  finishedAt: string | null;
  summary: (Partial<IngestSummary> & { done?: number }) | null;
  error: string | null;
}

export interface SyncStatus {
  lease: LeaseState | null;
  runs: SyncRun[];
}

/** How far the first load of a corpus directory got (what /readyz reports). */
export type BootstrapState =
  | { state: 'complete'; runId: number }
  | { state: 'loading'; runId: number; done: number }
  | { state: 'pending' };

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
  /** Whether a bootstrap of `dir` has finished, is running now, or is still to do (never ran, or died). */
  bootstrapState(dir: string): Promise<BootstrapState>;
  /** Runs `plan()` every `minutes`, never overlapping itself (in this process or any other). */
  schedule(minutes: number, plan: () => Promise<SyncPlan>): void;
  /** Stops the schedule and waits for running work. */
  stop(): Promise<void>;
}

export interface SyncDeps {
  db: Db;
  rag: Rag;
  sources: SourceFactory;
  clock: () => Date;
  logger: Logger;
  /** This process's instance id (newInstanceId); each run's lease holder is derived from it. */
  holder: string;
  leaseTtlMs?: number;
}

/** The status a finished ingest earns: failures are never reported as `done`. */
export function summaryStatus(summary: IngestSummary): { status: SyncRunStatus; error: string | null } {
  if (summary.failed === 0) return { status: 'done', error: null };
  const first = summary.items.find((i) => i.status === 'failed');
  const why = `${summary.failed} of ${summary.items.length} failed${first?.reason ? `; first: ${first.ref}: ${first.reason}` : ''}`;
  const wentIn = summary.added + summary.updated + summary.skipped;
  return { status: wentIn === 0 ? 'failed' : 'partial', error: why };
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

type RunRow = runs.SyncRunRow<SyncPlan, NonNullable<SyncRun['summary']>>;

/** A row that says `running` is believed only while its lease is held by a live holder. */
function derivedStatus(r: RunRow, lease: LeaseState | null): SyncRunStatus {
  if (r.status !== 'running') return r.status;
  return lease?.holder === r.holder && !holderIsGone(r.holder) ? 'running' : 'interrupted';
}

function toRun(r: RunRow, lease: LeaseState | null): SyncRun {
  return {
    id: Number(r.id),
    trigger: r.trigger,
    holder: r.holder,
    refs: r.refs,
    status: derivedStatus(r, lease),
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    summary: r.summary,
    error: r.error,
  };
}

export function createSyncer(deps: SyncDeps): Syncer {
  const { db, rag, sources, clock, logger } = deps;
  const ttl = deps.leaseTtlMs ?? LEASE_TTL_MS;
  let acquisitions = 0;
  const running = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** The lease, free or from a holder that is gone; null when a live run holds it. */
  async function takeLease(now: Date): Promise<string | null> {
    const holder = leaseHolder(deps.holder, ++acquisitions);
    if (await acquireLease(db, INGEST_LEASE, holder, ttl, now)) return holder;
    const current = await readLease(db, INGEST_LEASE, now);
    if (current && holderIsGone(current.holder)) {
      logger.warn({ holder: current.holder }, 'taking over the ingest lease of a process that is gone');
      if (await takeOverLease(db, INGEST_LEASE, current.holder, holder, ttl, now)) return holder;
    }
    return null;
  }

  async function execute(
    runId: number,
    holder: string,
    trigger: SyncTrigger,
    plan: SyncPlan,
    options: StartOptions,
  ): Promise<IngestSummary | null> {
    const renew = setInterval(() => {
      renewLease(db, INGEST_LEASE, holder, ttl, clock())
        .then((held) => {
          if (!held) logger.error({ runId }, 'sync lease lost while ingesting');
        })
        .catch((err) => logger.warn({ err, runId }, 'sync lease renewal failed'));
    }, ttl / 3);
    renew.unref();
    let progress = Promise.resolve();
    try {
      const summary = await rag.ingest(options.items ?? itemsOf(sources, plan), {
        onItem: (item, done) => {
          options.onItem?.(item, done);
          progress = progress.then(() => runs.recordRunProgress(db, runId, { done })).catch(() => undefined);
        },
      });
      await progress;
      const { status, error } = summaryStatus(summary);
      await runs.finishRun(db, runId, { status, finishedAt: clock(), summary, error });
      logger.info(
        { runId, trigger, status, added: summary.added, updated: summary.updated, failed: summary.failed },
        'sync finished',
      );
      return summary;
    } catch (err) {
      await progress;
      logger.error({ err, runId, trigger }, 'sync failed');
      await runs.failRun(db, runId, clock(), errorMessage(err)).catch(() => undefined);
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
      const holder = await takeLease(now);
      if (!holder) {
        const lease = await readLease(db, INGEST_LEASE, now);
        throw new SyncError(
          'sync_busy',
          `an ingestion is already running${lease ? ` (since ${lease.acquiredAt})` : ''}; try again when it finishes`,
        );
      }
      let runId: number;
      try {
        // We hold the only lease: any run still marked running belongs to a process that died.
        await runs.markRunningInterrupted(
          db,
          now,
          'stopped before it finished (its process ended); a later run picks up what is missing',
        );
        runId = await runs.insertRun(db, { trigger, holder, plan, startedAt: now });
      } catch (err) {
        await releaseLease(db, INGEST_LEASE, holder).catch(() => undefined);
        throw err;
      }
      logger.info({ runId, trigger, refs: plan.refs.length, dirs: plan.dirs }, 'sync started');
      const done = execute(runId, holder, trigger, plan, options);
      running.add(done);
      void done.finally(() => running.delete(done));
      return { runId, done };
    },

    async run(trigger, plan) {
      const { runId, done } = await syncer.start(trigger, plan);
      return { runId, summary: await done };
    },

    async status(limit = 10) {
      const [lease, rows] = await Promise.all([
        readLease(db, INGEST_LEASE, clock()),
        runs.latestRuns<SyncPlan, NonNullable<SyncRun['summary']>>(db, limit),
      ]);
      const live = lease && !holderIsGone(lease.holder) ? lease : null;
      return { lease: live, runs: rows.map((r) => toRun(r, live)) };
    },

    async bootstrapState(dir) {
      const [lease, rows] = await Promise.all([
        readLease(db, INGEST_LEASE, clock()),
        runs.latestRunsOf<SyncPlan, NonNullable<SyncRun['summary']>>(db, 'bootstrap', 100),
      ]);
      const ofDir = rows.filter((r) => r.refs.dirs?.includes(dir));
      const finished = ofDir.find((r) => r.status === 'done' || r.status === 'partial');
      if (finished) return { state: 'complete', runId: Number(finished.id) };
      const latest = ofDir[0];
      if (latest && derivedStatus(latest, lease) === 'running')
        return { state: 'loading', runId: Number(latest.id), done: latest.summary?.done ?? 0 };
      return { state: 'pending' };
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
          if (err instanceof SyncError && err.code === 'sync_busy')
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

import type { Logger } from 'pino';
import type { RunReader, RunRecord } from '../runs/types.ts';
import {
  type Budgets,
  digestRun,
  type MergesReport,
  mergesReport,
  type RunDigest,
  type Scoreboard,
  type SpendReport,
  scoreboard,
  spendReport,
} from './figures.ts';
import type { RunsQuery } from './queries.ts';
import { buildTimeline, type RunRow, type RunTimeline, runRow } from './timeline.ts';

/**
 * The watch page's reads, over the run store's reader (the store itself, or the owner's status
 * endpoint). Finished runs do not change: their rows and digests are kept, so the scoreboard over a
 * thousand runs costs a few queries once it is warm. Running runs are read again every time.
 */

export interface WatchSources {
  reader: RunReader;
  /** budgets.day / budgets.run of mission.md on the base branch; throws when it cannot be read. */
  budgets?: () => Promise<Budgets>;
  /** When the issue was opened on the forge (null when unknown). */
  issueOpenedAt?: (issue: number) => Promise<Date | null>;
  now: () => Date;
  logger: Logger;
}

export interface WatchData {
  runs(query: RunsQuery): Promise<RunRow[]>;
  timeline(runId: string): Promise<RunTimeline | undefined>;
  scoreboard(): Promise<Scoreboard & { window: Window }>;
  merges(): Promise<MergesReport & { window: Window }>;
  spend(days: number): Promise<SpendReport & { window: Window }>;
}

/** Which runs the figures cover: the newest `limit` (the store lists at most 1000 at once). */
export interface Window {
  runs: number;
  limit: number;
  truncated: boolean;
}

export const FIGURES_LIMIT = 1000;
const PARALLEL = 8;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** A finished run's key: its row never changes once the run ended (finishing updates updated_at). */
const finishedKey = (run: RunRecord) =>
  run.state === 'running' ? null : `${run.id}@${run.updatedAt.toISOString()}`;

export function createWatchData(sources: WatchSources): WatchData {
  const { reader, now } = sources;
  const rows = new Map<string, RunRow>();
  const digests = new Map<string, RunDigest>();
  const opened = new Map<number, Date | null>();
  let budgetCache: { at: number; value: Budgets | null; error: string | null } | undefined;

  async function rowOf(run: RunRecord): Promise<RunRow> {
    const key = finishedKey(run);
    const kept = key ? rows.get(key) : undefined;
    if (kept) return kept;
    const [steps, cost] = await Promise.all([reader.steps(run.id), reader.runCost(run.id)]);
    const row = runRow(run, steps, cost, now().getTime());
    if (key) rows.set(key, row);
    return row;
  }

  async function openedAt(issue: number): Promise<Date | null> {
    if (opened.has(issue)) return opened.get(issue) ?? null;
    let at: Date | null = null;
    try {
      at = (await sources.issueOpenedAt?.(issue)) ?? null;
    } catch (err) {
      // Kept as unknown: the figure falls back to the issue's first run (asked again after a restart).
      sources.logger.warn({ err, issue }, 'watch: could not read when the issue was opened');
    }
    opened.set(issue, at);
    return at;
  }

  async function digestOf(run: RunRecord): Promise<RunDigest> {
    const key = finishedKey(run);
    const kept = key ? digests.get(key) : undefined;
    if (kept) return kept;
    const [steps, cost, tools, ledger, issueOpenedAt] = await Promise.all([
      reader.steps(run.id),
      reader.runCost(run.id),
      reader.events(run.id, { kind: 'tool_call' }),
      reader.ledger(run.id),
      openedAt(run.issue),
    ]);
    const toolRefusals = tools
      .filter((e) => e.data.verdict === 'refused')
      .map((e) => (typeof e.data.reason === 'string' ? e.data.reason : 'refused'));
    const digest = digestRun({
      row: runRow(run, steps, cost, now().getTime()),
      steps,
      toolRefusals,
      ledger,
      issueOpenedAt,
    });
    if (key) digests.set(key, digest);
    return digest;
  }

  async function allDigests(): Promise<{ digests: RunDigest[]; window: Window }> {
    const runs = await reader.listRuns({ limit: FIGURES_LIMIT });
    const list = await mapLimited(runs, PARALLEL, digestOf);
    return {
      digests: list,
      window: { runs: list.length, limit: FIGURES_LIMIT, truncated: runs.length >= FIGURES_LIMIT },
    };
  }

  async function budgets(): Promise<{ value: Budgets | null; error: string | null }> {
    const t = now().getTime();
    if (budgetCache && t - budgetCache.at < 60_000) return budgetCache;
    if (!sources.budgets) return { value: null, error: 'no policy configured for this server' };
    try {
      budgetCache = { at: t, value: await sources.budgets(), error: null };
    } catch (err) {
      budgetCache = { at: t, value: null, error: (err as Error).message.split('\n')[0] ?? 'unreadable' };
    }
    return budgetCache;
  }

  return {
    async runs(query) {
      const state = query.status === 'stalled' ? 'running' : query.status;
      const limit = query.limit ?? 50;
      const runs = await reader.listRuns({
        ...(query.issue !== undefined ? { issue: query.issue } : {}),
        ...(state ? { state } : {}),
        limit,
      });
      const list = await mapLimited(runs, PARALLEL, rowOf);
      return query.status ? list.filter((r) => r.status === query.status) : list;
    },

    async timeline(runId) {
      const run = await reader.getRun(runId);
      if (!run) return undefined;
      const [steps, events, ledger, cost] = await Promise.all([
        reader.steps(run.id),
        reader.events(run.id),
        reader.ledger(run.id),
        reader.runCost(run.id),
      ]);
      return buildTimeline({ run, steps, events, ledger, cost, now: now().getTime() });
    },

    async scoreboard() {
      const { digests: list, window } = await allDigests();
      return { ...scoreboard(list), window };
    },

    async merges() {
      const { digests: list, window } = await allDigests();
      return { ...mergesReport(list), window };
    },

    async spend(days) {
      const [{ digests: list, window }, budget] = await Promise.all([allDigests(), budgets()]);
      return {
        ...spendReport({ digests: list, budget: budget.value, budgetError: budget.error, now: now(), days }),
        window,
      };
    },
  };
}

import { type Changes, isForgeError } from '@dark-factory/forge';
import type { RunStore } from '../runs/types.ts';
import { handleIntakeEvent } from './handle.ts';
import type { IntakeDeps, IntakeEvent, IntakeOutcome, IntakeStore } from './types.ts';

/**
 * The polling fallback for a factory without a public URL: each poll asks the forge, with the
 * ETag of its last answer, for the issues and the comments changed since the last change it saw.
 * Unchanged, GitHub answers 304, which costs nothing against the rate limit (the local forge
 * stats its files), so an idle poll is free. Each change goes through the same intake as a
 * webhook delivery, and is claimed by an id of its own first (`poll:issue:3:<updated>`), so a
 * change is acted on once, across restarts and across several pollers.
 */

export interface PollerDeps extends IntakeDeps {
  store: IntakeStore & Pick<RunStore, 'getPollCursor' | 'setPollCursor'>;
  now?: () => Date;
}

export interface ListingReport {
  /** false: the forge answered "not modified" (free). */
  changed: boolean;
  /** Changes claimed and handled in this poll (ones already handled before are skipped). */
  handled: number;
  skipped: number;
}

export interface PollReport {
  issues: ListingReport;
  comments: ListingReport;
  outcomes: (IntakeOutcome & { source: string })[];
}

/** Cursor names in the run store. */
export const ISSUES_CURSOR = 'forge:issues';
export const COMMENTS_CURSOR = 'forge:comments';

/** One poll of both listings. Throws (nothing advanced) when the forge or the store fails. */
export async function pollOnce(deps: PollerDeps): Promise<PollReport> {
  const now = deps.now ?? (() => new Date());
  const outcomes: PollReport['outcomes'] = [];
  const issues = await pollListing(deps, {
    cursor: ISSUES_CURSOR,
    // A first poll takes every open issue: those without a factory label are new to the factory.
    firstSince: () => undefined,
    // Closed issues never trigger anything; a reopened one is open again (and updated).
    list: (q) => deps.forge.listIssueChanges({ ...q, state: 'open' }),
    change: (issue, since) => ({
      id: `poll:issue:${issue.number}:${issue.updatedAt}`,
      updatedAt: issue.updatedAt,
      event: {
        kind: 'issue',
        action: !since || Date.parse(issue.createdAt) >= since.getTime() ? 'new' : 'changed',
        issue: { number: issue.number, isPullRequest: false, state: issue.state, labels: issue.labels },
        // A listing does not say who changed an issue: its author stands for it (bots stay ignored).
        sender: { login: issue.author ?? 'unknown', isBot: issue.authorIsBot ?? false },
      },
    }),
    outcomes,
  });
  const comments = await pollListing(deps, {
    cursor: COMMENTS_CURSOR,
    // Commands are for now: comments written before the first poll are never acted on. (GitHub's
    // times have whole seconds: the second the poll starts in counts as now.)
    firstSince: () => new Date(Math.floor(now().getTime() / 1000) * 1000),
    list: (q) => deps.forge.listCommentChanges(q),
    change: (comment, since) => ({
      // Local comment ids count per issue, so the issue is part of the id.
      id: `poll:comment:${comment.issue}:${comment.id}:${comment.updatedAt}`,
      updatedAt: comment.updatedAt,
      event: {
        kind: 'comment',
        action:
          comment.updatedAt === comment.createdAt ||
          (since && Date.parse(comment.createdAt) >= since.getTime())
            ? 'created'
            : 'edited',
        issue: { number: comment.issue },
        comment: { id: comment.id, body: comment.body, url: comment.url },
        sender: { login: comment.author ?? 'unknown', isBot: comment.authorIsBot ?? false },
      },
    }),
    outcomes,
  });
  return { issues, comments, outcomes };
}

interface Change {
  id: string;
  updatedAt: string;
  event: IntakeEvent;
}

async function pollListing<T>(
  deps: PollerDeps,
  o: {
    cursor: string;
    firstSince: () => Date | undefined;
    list: (query: { since?: string; etag?: string }) => Promise<Changes<T>>;
    change: (item: T, since: Date | undefined) => Change;
    outcomes: PollReport['outcomes'];
  },
): Promise<ListingReport> {
  const stored = await deps.store.getPollCursor(o.cursor);
  const since = stored ? (stored.since ?? undefined) : o.firstSince();
  const answer = await o.list({
    ...(since ? { since: since.toISOString() } : {}),
    ...(stored?.etag ? { etag: stored.etag } : {}),
  });
  if (!answer.changed) return { changed: false, handled: 0, skipped: 0 };
  let handled = 0;
  let skipped = 0;
  let seenUpTo = since;
  for (const item of answer.items) {
    const change = o.change(item, stored ? since : undefined);
    const updated = new Date(change.updatedAt);
    if (await claim(deps, change)) {
      try {
        const outcome = await handleIntakeEvent(change.event, deps, change.id);
        o.outcomes.push({ ...outcome, source: change.id });
        await deps.store.setDeliveryOutcome(change.id, `${outcome.outcome}: ${outcome.detail}`);
        handled++;
      } catch (err) {
        if (!isForgeError(err, 'not_found') && !isForgeError(err, 'invalid')) {
          // Transient: forget the claim and keep the cursor, so that the next poll takes it again.
          await deps.store.releaseDelivery(change.id).catch(() => undefined);
          if (seenUpTo !== since)
            await deps.store.setPollCursor(o.cursor, { since: seenUpTo ?? null, etag: null });
          throw err;
        }
        const detail = err instanceof Error ? err.message : String(err);
        o.outcomes.push({ outcome: 'ignored', detail: `failed: ${detail}`, source: change.id });
        await deps.store.setDeliveryOutcome(change.id, `failed: ${detail}`);
      }
    } else {
      skipped++;
    }
    if (!seenUpTo || updated > seenUpTo) seenUpTo = updated;
  }
  // The next query starts at the newest change seen (`since` is inclusive: claims skip repeats).
  // Its ETag belongs to the old query, so the first poll after a change costs one request; then 304s.
  await deps.store.setPollCursor(o.cursor, {
    since: seenUpTo ?? null,
    etag: seenUpTo?.getTime() === since?.getTime() ? (answer.etag ?? null) : null,
  });
  return { changed: true, handled, skipped };
}

function claim(deps: PollerDeps, change: Change): Promise<boolean> {
  return deps.store.claimDelivery({
    id: change.id.slice(0, 200),
    source: 'poll',
    event: change.event.kind === 'comment' ? 'issue_comment' : 'issues',
    action: change.event.action,
  });
}

export interface PollLoopOptions {
  intervalMs: number;
  signal: AbortSignal;
  /** Called after each poll (progress lines), and with the error of a failed one. */
  onPoll?: (report: PollReport) => void;
  onError?: (err: unknown, retryInMs: number) => void;
}

/**
 * Polls every `intervalMs` until `signal` aborts. A failed poll is reported and retried at the
 * next interval; a rate limit waits until the reset GitHub names.
 */
export async function runPoller(deps: PollerDeps, options: PollLoopOptions): Promise<void> {
  while (!options.signal.aborted) {
    let wait = options.intervalMs;
    try {
      options.onPoll?.(await pollOnce(deps));
    } catch (err) {
      wait = retryDelay(err, options.intervalMs);
      options.onError?.(err, wait);
    }
    await sleep(wait, options.signal);
  }
}

function retryDelay(err: unknown, intervalMs: number): number {
  if (!isForgeError(err, 'rate_limited')) return intervalMs;
  const { retryAfterSeconds, resetAt } = err.context as { retryAfterSeconds?: number; resetAt?: string };
  if (typeof retryAfterSeconds === 'number') return Math.max(intervalMs, retryAfterSeconds * 1000);
  if (typeof resetAt === 'string') return Math.max(intervalMs, Date.parse(resetAt) - Date.now());
  return intervalMs;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

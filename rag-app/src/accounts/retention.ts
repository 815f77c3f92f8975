import type { Logger } from '../log.ts';
import type { Db, Queryable } from '../store/db.ts';
import { deleteGuestsIdleSince } from '../store/users.ts';
import { forgetOldLoginFailures } from './login-backoff.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Deletes the guests (anonymous visitors) with no activity for `days` days, and with them their
 * conversations, messages and sessions (ON DELETE CASCADE). Activity: the guest's creation, a
 * session, a conversation created or changed, a question asked. Accounts are never touched.
 */
export async function deleteIdleGuests(db: Queryable, days: number, now: Date): Promise<number> {
  if (!(days > 0)) return 0;
  return deleteGuestsIdleSince(db, new Date(now.getTime() - days * DAY_MS));
}

/** Runs the cleanup now and every `everyMs` (hourly by default) until stopped. */
export function scheduleCleanup(
  deps: { db: Db; clock: () => Date; logger: Logger; guestRetentionDays: number },
  everyMs = 3600 * 1000,
): { stop(): void; done: Promise<void> } {
  const run = async () => {
    try {
      const now = deps.clock();
      const guests = await deleteIdleGuests(deps.db, deps.guestRetentionDays, now);
      const logins = await forgetOldLoginFailures(deps.db, now);
      if (guests > 0 || logins > 0)
        deps.logger.info({ guests, logins }, 'cleanup: idle guests and old sign-in failures deleted');
    } catch (err) {
      deps.logger.warn({ err }, 'cleanup failed');
    }
  };
  const done = run();
  const timer = setInterval(() => void run(), everyMs).unref();
  return { stop: () => clearInterval(timer), done };
}

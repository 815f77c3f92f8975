/**
 * Lock files of the gate: created exclusively (`wx`), holding `{ pid, host, at }`. A lock whose
 * process is gone (same host), that is older than its stale age, or that stayed unreadable (its
 * holder died before writing it) is taken over. Used for main's measurement (cache.ts: one gate
 * measures, the others wait for its entry) and for every measurement on one machine (below).
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

const LockSchema = z.object({ pid: z.number().int(), host: z.string(), at: z.number() });
export type LockHolder = z.infer<typeof LockSchema>;

/** A lock that has been unreadable this long was abandoned mid-write. */
const UNREADABLE_LOCK_MS = 10_000;

/** Whether the lock's holder may still be at work (same host: its pid is alive; any host: not stale). */
function holderAlive(lock: LockHolder, staleMs: number, now: number): boolean {
  if (now - lock.at > staleMs) return false;
  if (lock.host !== hostname()) return true;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `file` exclusively with this process as holder; false when it exists. */
export async function tryLock(file: string): Promise<boolean> {
  const handle = await open(file, 'wx').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return null;
    throw err;
  });
  if (!handle) return false;
  try {
    await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }));
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Reads the holder of an existing lock. `abandoned`: taken over by removing the file. (Two waiters
 * taking over at once both proceed: each lock's callers tolerate that, it costs time, never a figure.)
 */
async function lockState(
  file: string,
  staleMs: number,
): Promise<{ abandoned: boolean; holder: LockHolder | null }> {
  const parsed = LockSchema.safeParse(
    await readFile(file, 'utf8').then(
      (t) => JSON.parse(t) as unknown,
      () => undefined,
    ),
  );
  // A lock being written reads as nothing for a moment; one that stays unreadable was abandoned.
  const abandoned = parsed.success
    ? !holderAlive(parsed.data, staleMs, Date.now())
    : await stat(file).then(
        (st) => Date.now() - st.mtimeMs > UNREADABLE_LOCK_MS,
        () => false,
      );
  return { abandoned, holder: parsed.success ? parsed.data : null };
}

/**
 * What a waiter does after a failed tryLock: an abandoned lock is removed (returns true: try again at
 * once); otherwise `onWait` hears of the holder, once per waiter (returns false: look again later).
 */
export function lockWaiter(
  file: string,
  staleMs: number,
  onWait?: (holder: LockHolder) => void,
): () => Promise<boolean> {
  let told = false;
  return async () => {
    const { abandoned, holder } = await lockState(file, staleMs);
    if (abandoned) {
      await unlink(file).catch(() => undefined);
      return true;
    }
    if (holder && !told) {
      told = true;
      onWait?.(holder);
    }
    return false;
  };
}

/** The machine's measurement lock: one per host (its temp directory), whatever the gate cache. */
export const MEASURE_LOCK = path.join(tmpdir(), 'dark-factory-gate-measure.lock');

export interface HostLockOptions {
  /** Default MEASURE_LOCK. */
  file?: string;
  /** A lock older than this is taken over (default 30 min: longer than any measurement's timeout). */
  staleMs?: number;
  /** How often a waiting measurement looks again (default 250 ms). */
  pollMs?: number;
  /** Called once when another measurement holds the lock. */
  onWait?: (holder: LockHolder) => void;
}

/**
 * Runs `fn` while holding the machine's measurement lock. Latency is compared across measurements
 * taken at different moments (main's is cached), so two gates measuring at once on one machine
 * would load each other's servers and fail good changes on latency: measurements take turns.
 */
export async function withMeasureLock<T>(fn: () => Promise<T>, options: HostLockOptions = {}): Promise<T> {
  const file = options.file ?? MEASURE_LOCK;
  const staleMs = options.staleMs ?? 30 * 60_000;
  const waiter = lockWaiter(file, staleMs, options.onWait);
  while (!(await tryLock(file))) {
    if (await waiter()) continue;
    await sleep(options.pollMs ?? 250);
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}

import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ForgeError } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * A cross-process mutex over one lock file, held as a lease:
 * - acquire = create the file with O_EXCL and write {pid, hostname, token, acquiredAt} into it;
 * - the holder is presumed alive until either its pid is gone (same host only: pids mean nothing
 *   across hosts) or its lease (`leaseMs`) has run out, whichever comes first;
 * - breaking a stale lock happens under a second O_EXCL "break" file and only after re-checking
 *   that the lock file is still the very one judged stale (same inode and token), so two waiters
 *   never both break it and a fresh lock is never removed by mistake;
 * - release removes the file only if it still carries our token.
 * Inside one process, callers queue on a promise chain first so they don't poll against each other.
 */

const LockRecordSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  token: z.string().min(1),
  acquiredAt: z.iso.datetime(),
});
export type LockRecord = z.infer<typeof LockRecordSchema>;

export interface FileLockOptions {
  /** How long a holder may keep the lock before others may take it over. */
  leaseMs?: number;
  /** How long to wait for a live holder before giving up with `unavailable`. */
  timeoutMs?: number;
  logger?: Logger;
}

interface Holder {
  ino: number;
  mtimeMs: number;
  record: LockRecord | undefined;
}

const inProcessQueues = new Map<string, Promise<unknown>>();

export class FileLock {
  readonly leaseMs: number;
  readonly timeoutMs: number;
  private readonly breakPath: string;

  constructor(
    readonly path: string,
    private readonly options: FileLockOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.breakPath = `${path}.break`;
  }

  /** Run `fn` while holding the lock; the lock is released even if `fn` throws. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const previous = inProcessQueues.get(this.path) ?? Promise.resolve();
    const run = previous.then(async () => {
      const token = await this.acquire();
      try {
        return await fn();
      } finally {
        await this.release(token);
      }
    });
    const settled = run.catch(() => undefined);
    inProcessQueues.set(this.path, settled);
    void settled.then(() => {
      if (inProcessQueues.get(this.path) === settled) inProcessQueues.delete(this.path);
    });
    return run;
  }

  private async acquire(): Promise<string> {
    const token = randomUUID();
    const deadline = Date.now() + this.timeoutMs;
    let delayMs = 2;
    for (;;) {
      if (await this.tryCreate(this.path, token)) return token;
      const holder = await this.inspect(this.path);
      if (!holder) continue; // released between our create and our look: try again at once
      const reason = this.staleReason(holder);
      if (reason) {
        await this.breakStale(holder, reason);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new ForgeError(
          'unavailable',
          `timed out after ${this.timeoutMs}ms waiting for lock ${this.path}` +
            (holder.record
              ? ` held by pid ${holder.record.pid} on ${holder.record.hostname} since ${holder.record.acquiredAt}`
              : ''),
          { lockPath: this.path, holder: holder.record },
        );
      }
      await sleep(delayMs + Math.random() * delayMs);
      delayMs = Math.min(delayMs * 2, 50);
    }
  }

  private async tryCreate(path: string, token: string): Promise<boolean> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx');
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false;
      throw new ForgeError(
        'unavailable',
        `cannot create lock file ${path}: ${String(err)}`,
        { lockPath: path },
        {
          cause: err,
        },
      );
    }
    try {
      const record: LockRecord = {
        pid: process.pid,
        hostname: hostname(),
        token,
        acquiredAt: new Date().toISOString(),
      };
      await handle.writeFile(JSON.stringify(record));
    } finally {
      await handle.close();
    }
    return true;
  }

  private async inspect(path: string): Promise<Holder | undefined> {
    try {
      const info = await stat(path);
      const text = await readFile(path, 'utf8');
      const parsed = safeJson(text);
      const record = LockRecordSchema.safeParse(parsed);
      return { ino: info.ino, mtimeMs: info.mtimeMs, record: record.success ? record.data : undefined };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw new ForgeError(
        'unavailable',
        `cannot read lock file ${path}: ${String(err)}`,
        { lockPath: path },
        {
          cause: err,
        },
      );
    }
  }

  /** Why the holder no longer owns the lock, or undefined while its lease holds. */
  staleReason(holder: Holder): string | undefined {
    const { record } = holder;
    // A file without a readable record is a holder caught between create and write (or one that
    // died there): only the age of the file can tell.
    const since = record ? Date.parse(record.acquiredAt) : holder.mtimeMs;
    const age = Date.now() - since;
    if (age > this.leaseMs) return `lease expired (${Math.round(age)}ms > ${this.leaseMs}ms)`;
    if (record && record.hostname === hostname() && !pidAlive(record.pid)) return `pid ${record.pid} is gone`;
    return undefined;
  }

  private async breakStale(judged: Holder, reason: string): Promise<void> {
    if (!(await this.tryCreate(this.breakPath, randomUUID()))) {
      // Someone else is breaking it. Their break file lives for microseconds; one older than the
      // lease means a breaker died mid-way, so clear it for the next round.
      const breaker = await this.inspect(this.breakPath);
      if (breaker && this.staleReason(breaker)) await unlinkIfPresent(this.breakPath);
      else await sleep(2);
      return;
    }
    try {
      const current = await this.inspect(this.path);
      if (!current || current.ino !== judged.ino || current.record?.token !== judged.record?.token) return;
      if (!this.staleReason(current)) return;
      await unlinkIfPresent(this.path);
      this.options.logger?.warn(
        { lockPath: this.path, holder: current.record, reason },
        'took over a stale forge lock',
      );
    } finally {
      await unlinkIfPresent(this.breakPath);
    }
  }

  private async release(token: string): Promise<void> {
    const current = await this.inspect(this.path);
    if (current?.record?.token === token) {
      await unlinkIfPresent(this.path);
      return;
    }
    this.options.logger?.error(
      { lockPath: this.path, holder: current?.record },
      'forge lock was taken over while held: the lease ran out before the operation finished',
    );
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(err) === 'EPERM';
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

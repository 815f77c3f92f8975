import { hostname } from 'node:os';

/**
 * One ingestion at a time across processes: a named lease row in the store (store/leases.ts, each
 * change one guarded statement) with an expiry, renewed while its run lives. Here: whose it is.
 * A crashed holder's lease runs out on its own (or is taken over at once, see `holderIsGone`).
 */
export {
  acquireLease,
  type LeaseState,
  readLease,
  releaseLease,
  renewLease,
  takeOverLease,
} from '../store/leases.ts';

/** A holder string for one acquisition: `<host>:<pid>:<instance>:<n>` (the instance id is `<host>:<pid>:<random>`). */
export function leaseHolder(instanceId: string, n: number): string {
  return `${instanceId}:${n}`;
}

/** Whether the process with this pid exists on this machine (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True only when we know the holder is gone: it names this machine and a process that no longer
 * exists. A holder on another machine, or in this very process, is never judged from here; its
 * lease runs out by itself if it died.
 */
export function holderIsGone(holder: string, isAlive: (pid: number) => boolean = pidAlive): boolean {
  const [host, pidText] = holder.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !isAlive(pid);
}

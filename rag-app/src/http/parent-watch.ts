import { readFileSync } from 'node:fs';

/**
 * `pnpm start` runs pnpm → sh → tsx → node (the server). A `kill -9` of pnpm reaches none of its
 * children, which would keep serving (and holding the store) with nobody to stop them. So the server
 * watches its launchers — its parent, and every ancestor up to the nearest package manager — and
 * shuts down when one of them is gone. Started by systemd or a container's init, it watches nothing.
 */

interface ProcInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: a reused pid has another, so it is not mistaken for ours. */
  startTicks: string;
  argv: string[];
}

function readProc(pid: number, proc = '/proc'): ProcInfo | null {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(rest[1]), startTicks: rest[19] ?? '', argv };
  } catch {
    return null;
  }
}

const LAUNCHER = /(^|[/\\])(pnpm|npm|npx|yarn)(\.c?js)?$/;

/** Whether a process is a package manager running a script (its argv names pnpm, npm or yarn). */
export function isPackageManager(argv: readonly string[]): boolean {
  return argv.slice(0, 2).some((a) => LAUNCHER.test(a));
}

/**
 * The processes to watch, nearest first: the parent, then ancestors up to and including the
 * nearest package manager when there is one. Never pid 1 (init adopts orphans; it never goes away).
 */
export function launchers(pid: number = process.pid, proc = '/proc'): ProcInfo[] {
  const chain: ProcInfo[] = [];
  let current = readProc(pid, proc);
  while (current && current.ppid > 1 && chain.length < 16) {
    const parent = readProc(current.ppid, proc);
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  const manager = chain.findIndex((p) => isPackageManager(p.argv));
  return manager === -1 ? chain.slice(0, 1) : chain.slice(0, manager + 1);
}

/** Calls `onGone` once when a launcher has died (polled every `intervalMs`); returns a stop function. */
export function watchLaunchers(
  onGone: (which: { pid: number; argv: string[] }) => void,
  options: { intervalMs?: number; proc?: string } = {},
): () => void {
  const proc = options.proc ?? '/proc';
  const watched = launchers(process.pid, proc);
  const initialParent = process.ppid;
  const timer = setInterval(() => {
    const gone = watched.find((p) => readProc(p.pid, proc)?.startTicks !== p.startTicks);
    // Without /proc (macOS), a parent that died shows as our ppid changing (we were re-parented).
    if (gone) onGone(gone);
    else if (watched.length === 0 && initialParent > 1 && process.ppid !== initialParent)
      onGone({ pid: initialParent, argv: [] });
    else return;
    clearInterval(timer);
  }, options.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

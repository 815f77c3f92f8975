import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { DarkFactoryError } from './errors.ts';
import { processAlive } from './owner.ts';

// A directory that is expensive to make (an initdb'd PGlite cluster, a migrated store, an ingested
// corpus) and the same for everyone who needs it: made once, by one process, and never seen half
// made. The builder writes into a sibling directory and renames it into place; a lock file
// (`<dir>.lock`, holding the builder's pid, created with O_EXCL) keeps a second process from
// building it too: that one waits for the directory to appear, or takes the lock over once the
// builder's process is gone.

export interface BuildOnceOptions {
  /** How long to wait for another process's build before giving up (default 10 minutes). */
  waitMs?: number;
  /** How often to look again while another process builds (default 100 ms). */
  pollMs?: number;
}

export class BuildOnceError extends DarkFactoryError<'build_timeout'> {
  constructor(dir: string, waitMs: number) {
    super('build_timeout', `${dir} was not built by another process within ${Math.round(waitMs / 1000)} s`, {
      dir,
      waitMs,
    });
    this.name = 'BuildOnceError';
  }
}

/** A lock whose pid is gone, or that stayed empty for a minute (its writer died between create and write). */
async function abandoned(lock: string): Promise<boolean> {
  const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (pid > 0) return !processAlive(pid);
  const age = await stat(lock).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  return age > 60_000;
}

/**
 * `dir`, built by `build(into)` unless it exists. `into` is an empty directory beside `dir` that
 * becomes `dir` once `build` resolves; when `build` throws, it is removed and the error is the
 * caller's (the next caller tries again).
 */
export async function buildOnce(
  dir: string,
  build: (into: string) => Promise<void>,
  options: BuildOnceOptions = {},
): Promise<string> {
  const waitMs = options.waitMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 100;
  const lock = `${dir}.lock`;
  const deadline = Date.now() + waitMs;
  while (!existsSync(dir)) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await abandoned(lock)) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new BuildOnceError(dir, waitMs);
      else await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    try {
      if (existsSync(dir)) break;
      const building = await mkdtemp(`${dir}.building-`);
      try {
        await build(building);
        await rename(building, dir);
      } catch (err) {
        await rm(building, { recursive: true, force: true });
        throw err;
      }
    } finally {
      await rm(lock, { force: true });
    }
  }
  return dir;
}

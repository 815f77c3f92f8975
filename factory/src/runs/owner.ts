import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';

/**
 * The single-owner rule of an embedded store: PGlite must never be opened by two processes. The
 * owner holds `<dir>/owner.json`, created atomically (complete content hard-linked into place,
 * which fails when the file exists, like O_EXCL). A file whose process is gone is stale and is
 * replaced; anything else is refused with a message that names the owner.
 */

export const OwnerInfoSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string().min(1),
  token: z.string().regex(/^[0-9a-f]{32}$/),
  startedAt: z.iso.datetime({ offset: true }),
  /** What owns the store (`pnpm factory loop`), for the message a second opener sees. */
  label: z.string().optional(),
  /** Linux: the owner's start time in clock ticks since boot (tells a reused pid from the owner). */
  procStart: z.string().optional(),
  /** The owner's read-only status endpoint (runs/status-server.ts), once published. */
  url: z.url().optional(),
});
export type OwnerInfo = z.infer<typeof OwnerInfoSchema>;

export interface StoreClaim {
  readonly dir: string;
  readonly file: string;
  readonly info: OwnerInfo;
  /** Adds the status endpoint's URL to owner.json (atomic replace, only while the file is still ours). */
  publish(url: string): Promise<void>;
  /** Removes owner.json if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export const OWNER_FILE = 'owner.json';

/** Claims of this process (a second open in the same process is refused too, and a reused pid is told apart). */
const ownTokens = new Set<string>();

export function ownerFile(dir: string): string {
  return path.join(dir, OWNER_FILE);
}

export async function readOwner(dir: string): Promise<OwnerInfo | undefined> {
  const file = ownerFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FactoryError(
      'store_error',
      `cannot read ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  return parseOwner(text, file);
}

function parseOwner(text: string, file: string): OwnerInfo {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const res = OwnerInfoSchema.safeParse(data);
  if (!res.success) {
    throw new FactoryError(
      'store_error',
      `${file} is not a valid owner file; if no factory process uses this store, remove it`,
      { file },
    );
  }
  return res.data;
}

/** Linux only: field 22 of /proc/<pid>/stat (start time in ticks since boot). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the recorded owner is certainly gone: same host, and its pid is dead, or is this very
 * process without our token (a restarted container reuses pids), or now belongs to a process that
 * started at another time. On another host nothing can be told: the owner is taken as alive.
 */
export function ownerIsGone(info: OwnerInfo): boolean {
  if (info.hostname !== hostname()) return false;
  if (info.pid === process.pid) return !ownTokens.has(info.token);
  if (!pidAlive(info.pid)) return true;
  const start = info.procStart ? processStart(info.pid) : undefined;
  return start !== undefined && start !== info.procStart;
}

export function inUseError(dir: string, info: OwnerInfo): FactoryError {
  const where = info.hostname === hostname() ? `pid ${info.pid}` : `pid ${info.pid} on host ${info.hostname}`;
  return new FactoryError(
    'store_error',
    `the factory store ${dir} is in use by ${where} (${info.label ?? 'a factory process'} started ${info.startedAt}); ` +
      `wait for it to end or read through it (pnpm factory status); if that process is gone, remove ${ownerFile(dir)}`,
    { dir, reason: 'in_use', owner: { pid: info.pid, hostname: info.hostname, url: info.url } },
  );
}

/** Takes ownership of `dir` or throws the in-use error. */
export async function claimStore(dir: string, options: { label?: string } = {}): Promise<StoreClaim> {
  const file = ownerFile(dir);
  await mkdir(dir, { recursive: true });
  const procStart = processStart(process.pid);
  const info: OwnerInfo = {
    pid: process.pid,
    hostname: hostname(),
    token: randomBytes(16).toString('hex'),
    startedAt: new Date().toISOString(),
    ...(options.label ? { label: options.label } : {}),
    ...(procStart ? { procStart } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, info)) break;
    const current = await readOwner(dir);
    if (!current) continue; // removed meanwhile: try again
    if (!ownerIsGone(current) || attempt >= 3) throw inUseError(dir, current);
    await removeStale(file, current);
  }
  ownTokens.add(info.token);
  const onExit = () => {
    // Last resort on a normal exit without close(); a killed process leaves a stale file instead.
    try {
      if (parseOwner(readFileSync(file, 'utf8'), file).token === info.token) unlinkSync(file);
    } catch {}
  };
  process.once('exit', onExit);
  let current = info;
  let released = false;

  async function stillOurs(): Promise<boolean> {
    const now = await readOwner(dir).catch(() => undefined);
    return now?.token === info.token;
  }

  return {
    dir,
    file,
    get info() {
      return current;
    },
    async publish(url) {
      if (released || !(await stillOurs())) {
        throw new FactoryError('store_error', `${file} is no longer ours; not publishing ${url}`, { file });
      }
      const next = OwnerInfoSchema.parse({ ...current, url });
      const tmp = `${file}.${info.token}.tmp`;
      await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, file);
      current = next;
    },
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      ownTokens.delete(info.token);
      if (await stillOurs()) await unlink(file).catch(() => {});
    },
  };
}

/** Writes the complete file under a temp name, then links it into place: fails (false) when it exists. */
async function createExclusive(file: string, info: OwnerInfo): Promise<boolean> {
  const tmp = `${file}.${info.token}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw err;
    // A filesystem without hard links: O_EXCL create (a reader may briefly see a partial file).
    try {
      await writeFile(file, `${JSON.stringify(info, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/**
 * Moves the stale file aside, then checks that what was moved is the stale one (another process
 * may have replaced it meanwhile); a fresh owner's file is linked back.
 */
async function removeStale(file: string, stale: OwnerInfo): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const moved = parseOwner(await readFile(aside, 'utf8'), aside);
    if (moved.token !== stale.token) await link(aside, file).catch(() => {});
  } catch {
    // unreadable: it was the stale one or garbage; either way it is not a live owner's
  } finally {
    await unlink(aside).catch(() => {});
  }
}

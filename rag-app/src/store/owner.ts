import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { RagError, StoreError } from '../errors.ts';

/**
 * The single-owner rule of the embedded store: PGlite must never be opened by two processes (two
 * writers on one directory corrupt it). The owner holds `<dir>/owner.json`, created atomically
 * (the complete content hard-linked into place, which fails when the file exists, like O_EXCL). A
 * file whose process is gone is stale and is taken over; anything else is refused with one line
 * that names the owner. A running server publishes its URL and a local API token in the file
 * (mode 0600), so the CLI can go through it instead of opening the store.
 */

/** A second opener of an embedded store: the message names the holder and what to do. */
export class StoreInUseError extends RagError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('store_in_use', message, context);
    this.name = 'StoreInUseError';
  }
}

export const OwnerApiSchema = z.object({
  /** Where a process on this machine reaches the server (loopback when the bind address allows). */
  url: z.url(),
  /** Sent as `x-rag-local-token`; the server accepts it from its own machine only. */
  token: z.string().regex(/^[0-9a-f]{64}$/),
});
export type OwnerApi = z.infer<typeof OwnerApiSchema>;

export const OwnerInfoSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string().min(1),
  /** Tells this claim apart from any other (a reused pid, a second open in the same process). */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  startedAt: z.iso.datetime({ offset: true }),
  /** What holds the store (`pnpm start`, `pnpm rag ingest`), for the message a second opener sees. */
  command: z.string().min(1).max(200),
  /** Linux: the owner's start time in clock ticks since boot (tells a reused pid from the owner). */
  procStart: z.string().optional(),
  /** The server's public URL, once it listens. */
  url: z.url().optional(),
  api: OwnerApiSchema.optional(),
});
export type OwnerInfo = z.infer<typeof OwnerInfoSchema>;

export interface StoreClaim {
  readonly dir: string;
  readonly file: string;
  readonly info: OwnerInfo;
  /** Adds the server's URL and local API to owner.json (atomic replace, only while it is still ours). */
  publish(fields: { url: string; api: OwnerApi }): Promise<void>;
  /** Removes owner.json if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export const OWNER_FILE = 'owner.json';

/** Claims held by this process: a second open in the same process is refused too. */
const ownIds = new Set<string>();

export function ownerFile(dir: string): string {
  return path.join(dir, OWNER_FILE);
}

/** The owner recorded in `dir`, or undefined when there is none. */
export async function readOwner(dir: string): Promise<OwnerInfo | undefined> {
  const file = ownerFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError(
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): the store is locked by a process this user cannot inspect`,
      { file, reason: 'in_use' },
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
    throw new StoreError(`${file} is not a valid owner file; if no rag process uses this store, remove it`, {
      file,
    });
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
 * process without the claim (a restarted container reuses pids), or now belongs to a process that
 * started at another time. On another host nothing can be told: the owner is taken as alive.
 */
export function ownerIsGone(info: OwnerInfo): boolean {
  if (info.hostname !== hostname()) return false;
  if (info.pid === process.pid) return !ownIds.has(info.id);
  if (!pidAlive(info.pid)) return true;
  const start = info.procStart ? processStart(info.pid) : undefined;
  return start !== undefined && start !== info.procStart;
}

/** `.data/pglite` when the store is under the current directory, the absolute path otherwise. */
function shownPath(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
}

function shownTime(iso: string, now: Date): string {
  const t = new Date(iso);
  const hhmm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  return t.toDateString() === now.toDateString() ? hhmm : `${t.toISOString().slice(0, 10)} ${hhmm}`;
}

/** The one line a second opener sees: who holds the store and what to do. */
export function inUseMessage(
  dir: string,
  info: OwnerInfo,
  cwd = process.env.INIT_CWD ?? process.cwd(),
  now = new Date(),
): string {
  const local = info.hostname === hostname();
  const who = local ? `pid ${info.pid}` : `pid ${info.pid} on host ${info.hostname}`;
  const what = [info.command, info.url, `since ${shownTime(info.startedAt, now)}`].filter(Boolean).join(', ');
  const advice = info.api
    ? 'stop it first (ask, search, stats and ingest work beside it: they go through it)'
    : local
      ? 'wait for it to finish or stop it'
      : `stop it; if that process is gone, remove ${ownerFile(dir)}`;
  return `the store ${shownPath(dir, cwd)} is in use by ${who} (${what}); ${advice}`;
}

export function inUseError(dir: string, info: OwnerInfo, cwd?: string): StoreInUseError {
  return new StoreInUseError(inUseMessage(dir, info, cwd), {
    dir,
    owner: { pid: info.pid, hostname: info.hostname, command: info.command, url: info.url },
  });
}

/** What this process is, as a person typed it: `pnpm start`, `pnpm rag ingest`, `rag serve`. */
export function describeCommand(env: NodeJS.ProcessEnv = process.env, argv = process.argv): string {
  const sub = argv.slice(2).find((a) => !a.startsWith('-'));
  const script = argv[1] ? path.basename(argv[1]) : 'node';
  // pnpm's lifecycle variables are inherited by every descendant: they name this process only when
  // the script pnpm ran is this one (not, say, a test runner that spawned it).
  const direct = (env.npm_lifecycle_script ?? '').includes(script);
  const event = direct ? env.npm_lifecycle_event : undefined;
  if (event === 'start') return 'pnpm start';
  if (event) return `pnpm ${event}${event === 'rag' && sub ? ` ${sub}` : ''}`;
  return (script === 'main.ts' ? `rag${sub ? ` ${sub}` : ''}` : script).slice(0, 200);
}

/** Takes ownership of `dir` or throws StoreInUseError naming the owner. */
export async function claimStore(
  dir: string,
  options: { command?: string; cwd?: string } = {},
): Promise<StoreClaim> {
  const file = ownerFile(dir);
  await mkdir(dir, { recursive: true });
  const procStart = processStart(process.pid);
  const info: OwnerInfo = {
    pid: process.pid,
    hostname: hostname(),
    id: randomBytes(16).toString('hex'),
    startedAt: new Date().toISOString(),
    command: (options.command ?? describeCommand()).slice(0, 200),
    ...(procStart ? { procStart } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, info)) break;
    const current = await readOwner(dir);
    if (!current) continue; // removed meanwhile: try again
    if (!ownerIsGone(current) || attempt >= 3) throw inUseError(dir, current, options.cwd);
    await removeStale(file, current);
  }
  ownIds.add(info.id);
  const onExit = () => {
    // Last resort on a normal exit without release(); a killed process leaves a stale file instead.
    try {
      if (parseOwner(readFileSync(file, 'utf8'), file).id === info.id) unlinkSync(file);
    } catch {}
  };
  process.once('exit', onExit);
  let current = info;
  let released = false;

  async function stillOurs(): Promise<boolean> {
    const now = await readOwner(dir).catch(() => undefined);
    return now?.id === info.id;
  }

  return {
    dir,
    file,
    get info() {
      return current;
    },
    async publish(fields) {
      if (released || !(await stillOurs())) {
        throw new StoreError(`${file} is no longer ours; not publishing ${fields.url}`, { file });
      }
      const next = OwnerInfoSchema.parse({ ...current, ...fields });
      const tmp = `${file}.${info.id}.tmp`;
      await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, file);
      current = next;
    },
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      ownIds.delete(info.id);
      if (await stillOurs()) await unlink(file).catch(() => {});
    },
  };
}

/** Writes the complete file under a temp name, then links it into place: false when it exists. */
async function createExclusive(file: string, info: OwnerInfo): Promise<boolean> {
  const tmp = `${file}.${info.id}.tmp`;
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
    if (moved.id !== stale.id) await link(aside, file).catch(() => {});
  } catch {
    // unreadable: it was the stale one or garbage; either way it is not a live owner's
  } finally {
    await unlink(aside).catch(() => {});
  }
}

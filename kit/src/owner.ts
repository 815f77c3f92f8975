import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

// One owner per directory, for stores that two processes must never open at once (two PGlite
// writers on one directory corrupt it). The owner holds `<dir>/owner.json`, created atomically: the
// complete content is hard-linked into place, which fails when the file exists (like O_EXCL) and
// never shows a reader half a file. A file whose process is gone is stale and is taken over;
// anything else is the package's in-use error. The package adds its own fields (a URL, a token)
// and its own errors and messages; this module knows neither.

export const OwnerBaseSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string().min(1),
  /** Tells this claim apart from any other (a reused pid, a second open in the same process). */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  startedAt: z.iso.datetime({ offset: true }),
  /** Linux: the owner's start time in clock ticks since boot (tells a reused pid from the owner). */
  procStart: z.string().optional(),
});
export type OwnerBase = z.infer<typeof OwnerBaseSchema>;

/** How a package reads its owner file: its schema (the base extended with its fields) and errors. */
export interface OwnerSpec<Info extends OwnerBase> {
  /** `OwnerBaseSchema.extend({…})`, or a pipe ending in one (to read an older file's shape). */
  readonly schema: z.ZodType<Info>;
  /** The file exists and this process cannot read it. */
  unreadable(file: string, cause: NodeJS.ErrnoException): Error;
  /** The file is not JSON, or not this package's owner file. */
  invalid(file: string): Error;
}

export interface ClaimOptions<Info extends OwnerBase> {
  /** The package's fields, recorded beside the base from the start. */
  readonly fields: Omit<Info, keyof OwnerBase>;
  /** `dir` has a live owner (or one this process cannot tell is gone). */
  inUse(dir: string, owner: Info): Error;
  /** publish() after release, or once another process took the file over. */
  lost(file: string, fields: Partial<Info>): Error;
}

export interface OwnerClaim<Info extends OwnerBase> {
  readonly dir: string;
  readonly file: string;
  readonly info: Info;
  /** Updates fields of owner.json (validated; atomic replace, only while the file is still ours). */
  publish(fields: Partial<Info>): Promise<void>;
  /** Removes owner.json if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export const OWNER_FILE = 'owner.json';

/**
 * Claims of this process, pending ones included: a second open in the same process is refused, and
 * a file with this pid that is not among them was left by an earlier process with the same pid.
 */
const ownIds = new Set<string>();

export function ownerFile(dir: string): string {
  return path.join(dir, OWNER_FILE);
}

/** The owner recorded in `dir`, or undefined when there is none. */
export async function readOwner<Info extends OwnerBase>(
  dir: string,
  spec: OwnerSpec<Info>,
): Promise<Info | undefined> {
  const file = ownerFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw spec.unreadable(file, err as NodeJS.ErrnoException);
  }
  return parseOwner(text, file, spec);
}

function parseOwner<Info extends OwnerBase>(text: string, file: string, spec: OwnerSpec<Info>): Info {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const res = spec.schema.safeParse(data);
  if (!res.success) throw spec.invalid(file);
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

/** Whether a process with this pid exists on this host (EPERM: it does, and is another user's). */
export function processAlive(pid: number): boolean {
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
export function ownerIsGone(info: OwnerBase): boolean {
  if (info.hostname !== hostname()) return false;
  if (info.pid === process.pid) return !ownIds.has(info.id);
  if (!processAlive(info.pid)) return true;
  const start = info.procStart ? processStart(info.pid) : undefined;
  return start !== undefined && start !== info.procStart;
}

/** Takes ownership of `dir`, or throws `options.inUse` naming the owner. */
export async function claimOwner<Info extends OwnerBase>(
  dir: string,
  spec: OwnerSpec<Info>,
  options: ClaimOptions<Info>,
): Promise<OwnerClaim<Info>> {
  const file = ownerFile(dir);
  await mkdir(dir, { recursive: true });
  const procStart = processStart(process.pid);
  const info = spec.schema.parse({
    pid: process.pid,
    hostname: hostname(),
    id: randomBytes(16).toString('hex'),
    startedAt: new Date().toISOString(),
    ...(procStart ? { procStart } : {}),
    ...options.fields,
  });
  // Ours from the first attempt: a concurrent claim in this process that reads the file before
  // this one returns must see a live owner, not a stale file with our pid.
  ownIds.add(info.id);
  try {
    for (let attempt = 0; ; attempt++) {
      if (await createExclusive(file, info)) break;
      const current = await readOwner(dir, spec);
      if (!current) continue; // removed meanwhile: try again
      if (!ownerIsGone(current) || attempt >= 3) throw options.inUse(dir, current);
      await removeStale(file, current, spec);
    }
  } catch (err) {
    ownIds.delete(info.id);
    throw err;
  }
  const onExit = () => {
    // Last resort on a normal exit without release(); a killed process leaves a stale file instead.
    try {
      if (parseOwner(readFileSync(file, 'utf8'), file, spec).id === info.id) unlinkSync(file);
    } catch {}
  };
  process.once('exit', onExit);
  let current = info;
  let released = false;

  async function stillOurs(): Promise<boolean> {
    const now = await readOwner(dir, spec).catch(() => undefined);
    return now?.id === info.id;
  }

  return {
    dir,
    file,
    get info() {
      return current;
    },
    async publish(update) {
      if (released || !(await stillOurs())) throw options.lost(file, update);
      const next = spec.schema.parse({ ...current, ...update });
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
async function createExclusive(file: string, info: OwnerBase): Promise<boolean> {
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
async function removeStale<Info extends OwnerBase>(
  file: string,
  stale: OwnerBase,
  spec: OwnerSpec<Info>,
): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const moved = parseOwner(await readFile(aside, 'utf8'), aside, spec);
    if (moved.id !== stale.id) await link(aside, file).catch(() => {});
  } catch {
    // unreadable: it was the stale one or garbage; either way it is not a live owner's
  } finally {
    await unlink(aside).catch(() => {});
  }
}

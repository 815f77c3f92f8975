import { hostname } from 'node:os';
import path from 'node:path';
import {
  claimOwner,
  OwnerBaseSchema,
  type OwnerClaim,
  type OwnerSpec,
  ownerFile,
  readOwner as readOwnerFile,
} from '@dark-factory/kit/owner';
import { z } from 'zod';
import { RagError, StoreError } from '../errors.ts';

export { OWNER_FILE, ownerFile, ownerIsGone, processStart } from '@dark-factory/kit/owner';

/**
 * The single-owner rule of the embedded store (the lock itself is kit's `@dark-factory/kit/owner`):
 * PGlite must never be opened by two processes (two writers on one directory corrupt it). A second
 * opener is refused with one line that names the owner and what to do. A running server publishes
 * its URL and a local API token in owner.json (mode 0600), so the CLI can go through it instead of
 * opening the store.
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

export const OwnerInfoSchema = OwnerBaseSchema.extend({
  /** What holds the store (`pnpm start`, `pnpm rag ingest`), for the message a second opener sees. */
  command: z.string().min(1).max(200),
  /** The server's public URL, once it listens. */
  url: z.url().optional(),
  api: OwnerApiSchema.optional(),
});
export type OwnerInfo = z.infer<typeof OwnerInfoSchema>;

export interface StoreClaim extends OwnerClaim<OwnerInfo> {
  /** Adds the server's URL and local API to owner.json (atomic replace, only while it is still ours). */
  publish(fields: { url: string; api: OwnerApi }): Promise<void>;
}

const ownerSpec: OwnerSpec<OwnerInfo> = {
  schema: OwnerInfoSchema,
  unreadable: (file, err) =>
    new StoreError(
      `cannot read ${file} (${err.code ?? 'error'}): the store is locked by a process this user cannot inspect`,
      { file, reason: 'in_use' },
      { cause: err },
    ),
  invalid: (file) =>
    new StoreError(`${file} is not a valid owner file; if no rag process uses this store, remove it`, {
      file,
    }),
};

/** The owner recorded in `dir`, or undefined when there is none. */
export function readOwner(dir: string): Promise<OwnerInfo | undefined> {
  return readOwnerFile(dir, ownerSpec);
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
export function claimStore(
  dir: string,
  options: { command?: string; cwd?: string } = {},
): Promise<StoreClaim> {
  return claimOwner(dir, ownerSpec, {
    fields: { command: (options.command ?? describeCommand()).slice(0, 200) },
    inUse: (d, info) => inUseError(d, info, options.cwd),
    lost: (file, fields) =>
      new StoreError(`${file} is no longer ours; not publishing ${fields.url}`, { file }),
  });
}

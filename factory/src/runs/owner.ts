import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  claimOwner,
  OwnerBaseSchema,
  type OwnerSpec,
  ownerFile,
  readOwner as readOwnerFile,
} from '@dark-factory/kit/owner';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';

export { OWNER_FILE, ownerFile, ownerIsGone, processStart } from '@dark-factory/kit/owner';

/**
 * The single-owner rule of an embedded store (the lock itself is kit's `@dark-factory/kit/owner`):
 * PGlite must never be opened by two processes. A second opener is refused with a message that
 * names the owner; the owner publishes its read-only status endpoint in owner.json.
 */

const OwnerFileSchema = OwnerBaseSchema.extend({
  /** The bearer token of the status endpoint (owner.json is mode 0600). */
  token: z.string().regex(/^[0-9a-f]{32}$/),
  /** What owns the store (`pnpm factory loop`), for the message a second opener sees. */
  label: z.string().optional(),
  /** The owner's read-only status endpoint (runs/status-server.ts), once published. */
  url: z.url().optional(),
});

// A factory started before kit held the lock wrote its token as the claim's only identity (no
// `id`): a factory that upgrades itself reads that owner instead of calling its file invalid.
export const OwnerInfoSchema = z.preprocess(
  (data) =>
    data && typeof data === 'object' && !('id' in data) && 'token' in data
      ? { ...data, id: data.token }
      : data,
  OwnerFileSchema,
);
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

const ownerSpec: OwnerSpec<OwnerInfo> = {
  schema: OwnerInfoSchema,
  unreadable: (file, err) =>
    new FactoryError('store_error', `cannot read ${file}: ${err.message}`, { file }, { cause: err }),
  invalid: (file) =>
    new FactoryError(
      'store_error',
      `${file} is not a valid owner file; if no factory process uses this store, remove it`,
      { file },
    ),
};

export function readOwner(dir: string): Promise<OwnerInfo | undefined> {
  return readOwnerFile(dir, ownerSpec);
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
  const claim = await claimOwner(dir, ownerSpec, {
    fields: { token: randomBytes(16).toString('hex'), ...(options.label ? { label: options.label } : {}) },
    inUse: inUseError,
    lost: (file, fields) =>
      new FactoryError('store_error', `${file} is no longer ours; not publishing ${fields.url}`, { file }),
  });
  return {
    dir: claim.dir,
    file: claim.file,
    get info() {
      return claim.info;
    },
    publish: (url) => claim.publish({ url }),
    release: () => claim.release(),
  };
}

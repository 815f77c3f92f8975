import type { Logger } from 'pino';
import { FactoryError, isFactoryError } from '../errors.ts';
import { openRunStore } from '../runs/open.ts';
import { type OwnerInfo, readOwner } from '../runs/owner.ts';
import { createRemoteReader } from '../runs/remote.ts';
import type { RunReader, RunStore } from '../runs/types.ts';

/**
 * How the factory's server reads the run store. PostgreSQL: directly (any number of processes
 * share it). The embedded store has one owner (runs/owner.ts): when a loop or worker holds it, the
 * server reads through that owner's status endpoint, as `pnpm factory status` does; when nobody
 * does, the server owns it itself (and publishes its own status endpoint for `status`). When the
 * owner it follows goes away, the next read finds the store again.
 */

export type StoreAccess =
  | { kind: 'postgres'; via: 'direct' }
  | { kind: 'pglite'; via: 'direct'; dir: string }
  | {
      kind: 'pglite';
      via: 'owner';
      dir: string;
      owner: { pid: number; hostname: string; label: string | null };
    };

export interface ServerStore {
  reader: RunReader;
  /** How the store is read right now (null until the first read found it). */
  access(): StoreAccess | null;
  /**
   * The store itself when this process holds it (PostgreSQL, or the embedded store it owns), for
   * what must write (the webhook intake's delivery records); null while it reads through an owner.
   */
  writer(): RunStore | null;
  close(): Promise<void>;
}

export const SERVER_LABEL = 'pnpm factory serve';

interface Held {
  reader: RunReader;
  store: RunStore | null;
  access: StoreAccess;
  close(): Promise<void>;
}

export async function openServerStore(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
  logger: Logger;
  secrets?: readonly string[];
  /** PostgreSQL schema (tests). */
  schema?: string;
}): Promise<ServerStore> {
  const { dataDir, logger } = options;
  if (options.databaseUrl) {
    const store = await openRunStore({
      databaseUrl: options.databaseUrl,
      dataDir,
      logger,
      serve: false,
      ...(options.schema ? { schema: options.schema } : {}),
    });
    const access: StoreAccess = { kind: 'postgres', via: 'direct' };
    return { reader: store, access: () => access, writer: () => store, close: () => store.close() };
  }

  async function find(): Promise<Held> {
    try {
      const store = await openRunStore({
        dataDir,
        logger,
        label: SERVER_LABEL,
        serve: true,
        secrets: options.secrets ?? [],
      });
      logger.info({ dir: dataDir, statusUrl: store.statusUrl }, 'factory server owns the embedded store');
      return {
        reader: store,
        store,
        access: { kind: 'pglite', via: 'direct', dir: dataDir },
        close: () => store.close(),
      };
    } catch (err) {
      if (!isFactoryError(err, 'store_error') || err.context.reason !== 'in_use') throw err;
      const owner = await readOwner(dataDir);
      if (!owner?.url) {
        throw new FactoryError(
          'store_error',
          `the factory store ${dataDir} is held by ${describeOwner(owner)} without a status endpoint yet; try again in a moment`,
          { dir: dataDir, reason: 'owner_starting' },
          { cause: err },
        );
      }
      logger.info({ pid: owner.pid, url: owner.url }, 'factory server reads through the store owner');
      return {
        reader: createRemoteReader({ url: owner.url, token: owner.token }),
        store: null,
        access: {
          kind: 'pglite',
          via: 'owner',
          dir: dataDir,
          owner: { pid: owner.pid, hostname: owner.hostname, label: owner.label ?? null },
        },
        close: async () => {},
      };
    }
  }

  let held: Held | undefined;
  let finding: Promise<Held> | undefined;
  let closed = false;
  const current = (): Promise<Held> => {
    if (closed) return Promise.reject(new FactoryError('store_error', 'the factory server is shutting down'));
    if (held) return Promise.resolve(held);
    finding ??= find().then(
      (h) => {
        held = h;
        finding = undefined;
        return h;
      },
      (err) => {
        finding = undefined;
        throw err;
      },
    );
    return finding;
  };

  /** A read through the owner that fails (it ended, or restarted with a new token) finds the store again once. */
  async function read<T>(fn: (reader: RunReader) => Promise<T>): Promise<T> {
    const h = await current();
    try {
      return await fn(h.reader);
    } catch (err) {
      if (h.access.via !== 'owner' || !isFactoryError(err, 'store_error')) throw err;
      if (held === h) held = undefined;
      logger.info({ err: (err as Error).message }, 'the store owner went away; finding the store again');
      return fn((await current()).reader);
    }
  }

  // Opened now, so a server that cannot read the store says so at start, not on the first visit
  // (an owner that has not published its endpoint yet is asked again on the next read).
  await current().catch((err: unknown) => {
    if (!isFactoryError(err, 'store_error') || err.context.reason !== 'owner_starting') throw err;
    logger.warn({ err: (err as Error).message }, 'the store owner has no endpoint yet');
  });

  const reader: RunReader = {
    getRun: (id) => read((r) => r.getRun(id)),
    listRuns: (query) => read((r) => r.listRuns(query)),
    activeRun: (issue) => read((r) => r.activeRun(issue)),
    steps: (id) => read((r) => r.steps(id)),
    events: (id, query) => read((r) => r.events(id, query)),
    runCost: (id) => read((r) => r.runCost(id)),
    ledger: (id) => read((r) => r.ledger(id)),
    costSince: (since) => read((r) => r.costSince(since)),
    close: async () => {},
  };
  return {
    reader,
    access: () => held?.access ?? null,
    writer: () => held?.store ?? null,
    close: async () => {
      closed = true;
      const h = held ?? (await finding?.catch(() => undefined));
      held = undefined;
      await h?.close();
    },
  };
}

function describeOwner(owner: OwnerInfo | undefined): string {
  if (!owner) return 'another process';
  return `pid ${owner.pid}${owner.label ? ` (${owner.label})` : ''}`;
}

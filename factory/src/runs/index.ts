/** The run store: runs, steps, events and the ledger; leases; prices; the single-owner rule. */
export { type Db, openDb, openPglite, openPostgres, type Queryable } from './db.ts';
export { LeaseKeeper, type LeaseKeeperOptions, leaseOwnerId } from './lease.ts';
export { loadMigrations, migrate } from './migrate.ts';
export {
  type OpenedRunReader,
  type OpenedRunStore,
  type OpenRunReaderOptions,
  type OpenRunStoreOptions,
  openRunReader,
  openRunStore,
  pgliteDir,
} from './open.ts';
export { claimStore, type OwnerInfo, ownerFile, readOwner, type StoreClaim } from './owner.ts';
export { type ModelPrice, PRICES, priceFor, priceUsage, type Rates } from './prices.ts';
export { createRemoteReader, type RemoteReaderOptions } from './remote.ts';
export { type StatusServer, startStatusServer } from './status-server.ts';
export { createSqlRunStore } from './store.ts';
export * from './types.ts';

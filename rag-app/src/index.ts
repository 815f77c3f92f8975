// Public API of @dark-factory/rag-app. Other packages import only from here.
export * from './types.ts';
export * from './errors.ts';
export { loadConfig, type Config } from './config.ts';
export { openDb, type Db, type Queryable } from './store/db.ts';
export { migrate } from './store/migrate.ts';

import type { HttpBindings } from '@hono/node-server';
import type { SessionUser } from '../accounts/accounts.ts';
import type { Config } from '../config.ts';
import type { IssueForge } from '../conversations/report.ts';
import type { ModelBudget } from '../limits/model-budget.ts';
import type { Logger } from '../log.ts';
import type { Rag } from '../rag.ts';
import type { Db } from '../store/db.ts';
import type { ItemStream, SourceFactory } from '../sync/sources.ts';
import type { Syncer } from '../sync/syncer.ts';

export type Clock = () => Date;
export type { IssueForge, ItemStream, SessionUser, SourceFactory };

export interface ServerDeps {
  rag: Rag;
  db: Db;
  forge: IssueForge;
  config: Config;
  sources: SourceFactory;
  clock?: Clock;
  logger?: Logger;
  /** Identifies this process in leases and logs; random by default. */
  instanceId?: string;
  /** Relative CORPUS_DIR and SYNC_SOURCES paths are resolved against this (default: process.cwd()). */
  cwd?: string;
}

/** Hono's typed context: `c.get('user')` and friends. Bindings are absent under `app.request`. */
export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    user: SessionUser | null;
    /** Anonymous mode, no session yet: makes this visitor a guest of their own (see auth.ts actingUser). */
    newGuest: (() => Promise<SessionUser>) | null;
    requestId: string;
    ip: string;
  };
}

/** Everything a route needs, resolved once by createApp. */
export interface Service {
  rag: Rag;
  db: Db;
  forge: IssueForge;
  config: Config;
  sources: SourceFactory;
  clock: Clock;
  logger: Logger;
  syncer: Syncer;
  cwd: string;
  /** The model's global daily budget; null when no model answers (no ANTHROPIC_API_KEY). */
  modelBudget: ModelBudget | null;
  /** The same store answered by the offline answerer (when the model budget is spent). */
  offlineRag: () => Promise<Rag>;
}

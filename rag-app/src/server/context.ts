import type { HttpBindings } from '@hono/node-server';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Rag } from '../rag.ts';
import type { Db } from '../store/db.ts';
import type { SourceItem } from '../types.ts';
import type { ModelBudget } from './model-budget.ts';
import type { Syncer } from './sync.ts';

/** What "report a problem" needs from the forge; @dark-factory/forge's Forge satisfies it structurally. */
export interface IssueForge {
  createIssue(input: {
    title: string;
    body: string;
    labels?: string[];
    /** Who reported it (`web:<user id>`); the local forge records it, GitHub uses the token's user. */
    author?: string;
  }): Promise<{ number: number; url: string }>;
}

export type ItemStream = AsyncIterable<SourceItem> | Iterable<SourceItem>;

/** Where admin ingestion and the scheduled sync read videos from (src/ingest/sources.ts in production). */
export interface SourceFactory {
  /** YouTube video ids, watch/short urls, or whatever else the YouTube source accepts. */
  youtube(refs: string[]): ItemStream;
  /** A directory of transcript files in the shared corpus format. */
  corpus(dir: string): ItemStream;
}

export type Clock = () => Date;

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

export interface SessionUser {
  id: number;
  /** The account's email; `guest` for a guest. */
  email: string;
  isAdmin: boolean;
  /** A guest of anonymous mode: no password, no admin, their own conversations and daily cap. */
  anonymous: boolean;
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

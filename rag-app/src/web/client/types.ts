/**
 * What the page sends and receives. Request bodies are the server's own zod schemas (their input
 * types) and the answer shapes come from the public `types.ts`: both imported as types only, so no
 * server code reaches the bundle. Conversations share the domain's types-only module; the other
 * responses the server builds by hand are declared here.
 */
import type { z } from 'zod';
import type { Conversation, Message } from '../../conversations/types.ts';
import type * as schemas from '../../http/schemas.ts';
import type { AskResult, IngestSummary, Segment, SourceKind } from '../../types.ts';

export type { Conversation, Message } from '../../conversations/types.ts';
export type { AskResult, Citation, IngestSummary } from '../../types.ts';

export type AskBody = z.input<typeof schemas.askBody>;
export type Credentials = z.input<typeof schemas.credentials>;
export type PasswordChange = z.input<typeof schemas.passwordChange>;
export type ConversationCreate = z.input<typeof schemas.conversationCreate>;
export type ConversationRename = z.input<typeof schemas.conversationRename>;
export type IssueBody = z.input<typeof schemas.issueBody>;
export type AddVideoBody = z.input<typeof schemas.addVideoBody>;
export type ResyncBody = z.input<typeof schemas.resyncBody>;
export type AdminSetupBody = z.input<typeof schemas.adminSetupBody>;

/** `{ error: { code, message } }`: every error the API answers. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface SessionUser {
  id: number;
  /** `guest` for a guest. */
  email: string;
  isAdmin: boolean;
  /** A guest of anonymous mode: no password, their own conversations. */
  anonymous: boolean;
}

/** GET /api/me */
export interface Me {
  /** null for a visitor who has not acted yet. */
  user: SessionUser | null;
  csrfToken: string;
  allowAnonymous: boolean;
  limits: { dailyMessages: number; usedToday: number; questionChars: number };
  /** A guest's conversations are deleted this many days after their last activity (0: kept). */
  guestRetentionDays: number;
}

/** POST /api/auth/signup and /login */
export interface SignedIn {
  user: SessionUser;
}

/** POST /api/auth/logout-all */
export interface SignedOutEverywhere {
  sessionsEnded: number;
}

export interface ConversationWithMessages extends Conversation {
  messages: Message[];
}

export interface MessageHit {
  conversationId: string;
  title: string;
  messageId: number;
  role: 'user' | 'assistant';
  snippet: string;
  createdAt: string;
}

/** POST /api/ask (the JSON, and the SSE stream's `done` event). */
export type AskResponse = AskResult & { conversationId?: string; messageId?: number; offline?: true };

export interface VideoRecord {
  videoId: string;
  title: string;
  url: string;
  published: string | null;
  durationSec: number | null;
  source: SourceKind;
  chunks: number;
  contentHash: string;
  ingestedAt: string;
  updatedAt: string;
}

export interface VideoPage {
  total: number;
  videos: VideoRecord[];
  limit: number;
  offset: number;
}

export interface VideoDetail extends VideoRecord {
  segments: Segment[];
}

/** POST /api/issues */
export interface FiledIssue {
  number: number;
  /** https://… for GitHub; forge://local/issues/N for the local forge. */
  url: string;
}

export interface SyncRun {
  id: number;
  trigger: string;
  holder: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  /** A finished run's summary; a running one's `{ done }` so far. */
  summary: (Partial<IngestSummary> & { done?: number }) | null;
  error: string | null;
}

/** GET /api/admin/status */
export interface AdminStatus {
  stats: { videos: number; chunks: number };
  sync: { lease: { holder: string; acquiredAt: string; expiresAt: string } | null; runs: SyncRun[] };
  schedule: { intervalMinutes: number; refs: string[]; dirs: string[] };
}

/** POST /api/admin/videos and POST /api/admin/sync with a videoId: a run the admin waited for. */
export interface FinishedRun {
  runId: number;
  status: string;
  summary: IngestSummary;
}

/** POST /api/admin/sync without a videoId: the run goes on behind. */
export interface StartedRun {
  runId: number;
  status: 'running';
}

import type Anthropic from '@anthropic-ai/sdk';
import type { Usage } from '../runs/types.ts';

/** The model-facing step that sends a request: routed by the x-factory-* headers. */
export type ModelStep = 'triage' | 'plan' | 'implement' | 'fix' | 'review';

export interface ModelRequest {
  step: ModelStep;
  issue: number;
  /** 0 for triage/plan/implement and the first review; K for the K-th fix round (and its review). */
  attempt: number;
  model: string;
  /** Cached (cache_control on the last system block and on the last tool). */
  system: string;
  messages: Anthropic.MessageParam[];
  tools: Anthropic.Tool[];
  toolChoice: Anthropic.ToolChoice;
  maxTokens: number;
}

export interface ModelResponse {
  content: Anthropic.ContentBlock[];
  stopReason: Anthropic.StopReason | null;
  usage: Usage;
  model: string;
  requestId: string | null;
}

/**
 * Sends one Messages API request. Before sending, the budget guard is asked with the request's
 * size; after it, usage goes to the ledger. Throws BudgetExceededError (nothing sent) or ModelError.
 */
export interface ModelClient {
  create(request: ModelRequest): Promise<ModelResponse>;
}

/**
 * One HTTP attempt of a model call: a call the SDK retried after a 429/5xx/overloaded answer is
 * reported once per attempt (retry 0, 1, …), so the events show every request that was sent.
 */
export interface ModelAttemptEvent {
  step: ModelStep;
  issue: number;
  attempt: number;
  model: string;
  /** 0 for the first HTTP attempt, n for the n-th retry of the same call. */
  retry: number;
  streamed: boolean;
  /** HTTP status; null when no response arrived (connection error, timeout). */
  status: number | null;
  /** Time until the response headers arrived (or the attempt failed). */
  durationMs: number;
  /** The `request-id` response header. */
  requestId: string | null;
  /** `<error type>: <message>` for a failed attempt, null for a 2xx. */
  error: string | null;
}

/** Reported once per successful model call, with the usage read from the response. */
export interface ModelUsageEvent {
  step: ModelStep;
  issue: number;
  attempt: number;
  /** The model asked for (the price table's key). */
  model: string;
  /** The model the response names (may be a dated id). */
  responseModel: string;
  usage: Usage;
  stopReason: Anthropic.StopReason | null;
  requestId: string | null;
  streamed: boolean;
  /** HTTP attempts the call took (1 when no retry was needed). */
  httpAttempts: number;
  /** Whole call, retries and streaming included. */
  durationMs: number;
}

export interface ModelsConfig {
  /** FACTORY_MODEL: plan, implement, fix. */
  main: string;
  /** FACTORY_TRIAGE_MODEL */
  triage: string;
  /** FACTORY_REVIEW_MODEL */
  review: string;
}

export const DEFAULT_MODELS: ModelsConfig = {
  main: 'claude-sonnet-4-6',
  triage: 'claude-haiku-4-5',
  review: 'claude-opus-4-6',
};

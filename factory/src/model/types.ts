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

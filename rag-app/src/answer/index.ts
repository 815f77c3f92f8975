import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Answerer } from './answerer.ts';
import { ClaudeAnswerer } from './claude.ts';
import { ExtractiveAnswerer } from './extractive.ts';

export type { Answerer, AnswerOptions, AnswerOutput } from './answerer.ts';
export { ClaudeAnswerer, type ClaudeAnswererOptions } from './claude.ts';
export { judgeEvidence, REFUSAL_ANSWER, refusalOutput, type Verdict } from './decide.ts';
export { LlmError, type LlmErrorKind } from './errors.ts';
export { type EvidenceSources, gatherEvidence } from './evidence.ts';
export { DEFAULT_EXTRACTIVE, ExtractiveAnswerer, type ExtractiveSettings } from './extractive.ts';
export { buildPrompt, NOT_COVERED_TOKEN, SYSTEM_PROMPT } from './prompt.ts';
export { DEFAULT_SUPPORT, REFUSAL_THRESHOLD, type SupportSettings, type TermStats } from './support.ts';

/** Claude when ANTHROPIC_API_KEY is set, otherwise the offline extractive answerer. */
export function createAnswerer(
  config: Pick<Config, 'ANTHROPIC_API_KEY' | 'ANTHROPIC_BASE_URL' | 'ANTHROPIC_MODEL'>,
  options: { logger?: Logger } = {},
): Answerer {
  if (config.ANTHROPIC_API_KEY) {
    return new ClaudeAnswerer({
      apiKey: config.ANTHROPIC_API_KEY,
      baseURL: config.ANTHROPIC_BASE_URL,
      model: config.ANTHROPIC_MODEL,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  return new ExtractiveAnswerer();
}

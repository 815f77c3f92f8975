import type Anthropic from '@anthropic-ai/sdk';
import type { Citation } from '@dark-factory/rag-app';
import { EvalsError } from './errors.ts';

export interface JudgeInput {
  question: string;
  answer: string;
  citations: Pick<Citation, 'videoId' | 'start' | 'end' | 'text'>[];
}

export interface JudgeVerdict {
  /** 1 supported, 0.5 partly supported, 0 unsupported by the cited text. */
  faithful: number;
  reason: string;
  inputTokens: number;
  outputTokens: number;
  model: string;
}

export interface Judge {
  judge(input: JudgeInput): Promise<JudgeVerdict>;
}

const SYSTEM = `You grade answers of a retrieval-augmented assistant for faithfulness.
Judge ONLY whether every claim in the ANSWER is supported by the CITED PASSAGES (not by your own knowledge).
Reply with one JSON object and nothing else:
{"verdict": "supported" | "partial" | "unsupported", "reason": "<one short sentence>"}`;

const SCORE: Record<string, number> = { supported: 1, partial: 0.5, unsupported: 0 };

export function judgePrompt(input: JudgeInput): string {
  const passages = input.citations
    .map(
      (c, i) => `[${i + 1}] (video ${c.videoId}, ${Math.round(c.start)}-${Math.round(c.end)} s)\n${c.text}`,
    )
    .join('\n\n');
  return `QUESTION:\n${input.question}\n\nANSWER:\n${input.answer}\n\nCITED PASSAGES:\n${passages}`;
}

/** Reads the verdict out of the model's text (tolerates prose or code fences around the JSON). */
export function parseVerdict(text: string): { faithful: number; reason: string } {
  const match = text.match(/\{[\s\S]*\}/);
  if (match) {
    try {
      const json = JSON.parse(match[0]) as { verdict?: unknown; reason?: unknown };
      const score = typeof json.verdict === 'string' ? SCORE[json.verdict.toLowerCase()] : undefined;
      if (score !== undefined)
        return { faithful: score, reason: typeof json.reason === 'string' ? json.reason : '' };
    } catch {
      // fall through to the error below
    }
  }
  throw new EvalsError('judge_unparseable', `judge reply has no verdict: ${text.slice(0, 120)}`);
}

export interface AnthropicJudgeOptions {
  apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL (the SDK's own convention), else the public API. */
  baseURL?: string | undefined;
  model: string;
  maxRetries?: number;
}

/** Faithfulness judge on the Anthropic Messages API, through the official SDK (loaded on first use). */
export function anthropicJudge(options: AnthropicJudgeOptions): Judge {
  let client: Promise<Anthropic> | undefined;
  const getClient = () => {
    client ??= import('@anthropic-ai/sdk').then(
      ({ default: Sdk }) =>
        new Sdk({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: options.maxRetries ?? 2 }),
    );
    return client;
  };
  return {
    async judge(input) {
      const msg = await (await getClient()).messages.create({
        model: options.model,
        max_tokens: 300,
        system: SYSTEM,
        messages: [{ role: 'user', content: judgePrompt(input) }],
      });
      const text = msg.content
        .filter((b): b is Anthropic.TextBlock => b.type === 'text')
        .map((b) => b.text)
        .join('');
      return {
        ...parseVerdict(text),
        inputTokens: msg.usage.input_tokens,
        outputTokens: msg.usage.output_tokens,
        model: msg.model,
      };
    },
  };
}

export const DEFAULT_JUDGE_MODEL = 'claude-sonnet-4-6';

/** The judge the environment asks for: only when ANTHROPIC_API_KEY is set (model: EVALS_JUDGE_MODEL). */
export function judgeFromEnv(env: NodeJS.ProcessEnv): Judge | undefined {
  if (!env.ANTHROPIC_API_KEY) return undefined;
  return anthropicJudge({
    apiKey: env.ANTHROPIC_API_KEY,
    baseURL: env.ANTHROPIC_BASE_URL || undefined,
    model: env.EVALS_JUDGE_MODEL || DEFAULT_JUDGE_MODEL,
  });
}

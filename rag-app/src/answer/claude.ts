/**
 * Answering with Claude: the hits become numbered passages, the reply streams through `onToken`
 * with its `[n]` markers renumbered to index the citations, and the refusal token becomes
 * `refused: true`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { logger as defaultLogger, type Logger } from '../log.ts';
import type { SearchHit } from '../types.ts';
import type { Answerer, AnswerOptions, AnswerOutput } from './answerer.ts';
import { citationForHit } from './cite.ts';
import { REFUSAL_ANSWER } from './decide.ts';
import { toLlmError } from './errors.ts';
import { buildPrompt } from './prompt.ts';
import { ReplyFilter } from './reply.ts';

/** Said instead of an answer that rests on passages the model was not given. */
export const UNGROUNDED_ANSWER =
  "The videos don't cover this: the model's answer cited passages it was not given, so it is not shown.";
/** Ends an answer whose later sentences cited passages the model was not given. */
export const UNGROUNDED_NOTICE =
  '(The rest of the answer cited passages the model was not given and is not shown.)';

export interface ClaudeAnswererOptions {
  apiKey: string;
  /** Defaults to the SDK's (https://api.anthropic.com). */
  baseURL?: string | undefined;
  model: string;
  maxTokens?: number;
  /** Left to the model's default unless set. */
  temperature?: number;
  /** SDK retries on 429/5xx/connection errors, with its backoff (honours retry-after). */
  maxRetries?: number;
  timeoutMs?: number;
  logger?: Logger;
  /** An existing client; the options above that configure a client are then ignored. */
  client?: Anthropic;
}

export class ClaudeAnswerer implements Answerer {
  readonly name: string;
  private readonly client: Anthropic;
  private readonly log: Logger;

  constructor(private readonly options: ClaudeAnswererOptions) {
    this.name = `claude:${options.model}`;
    this.client =
      options.client ??
      new Anthropic({
        apiKey: options.apiKey,
        baseURL: options.baseURL ?? null,
        maxRetries: options.maxRetries ?? 2,
        timeout: options.timeoutMs ?? 60_000,
      });
    this.log = (options.logger ?? defaultLogger).child({ component: 'answer', answerer: this.name });
  }

  async answer(question: string, hits: SearchHit[], opts: AnswerOptions = {}): Promise<AnswerOutput> {
    opts.signal?.throwIfAborted();
    if (hits.length === 0) {
      opts.onToken?.(REFUSAL_ANSWER);
      return { answer: REFUSAL_ANSWER, refused: true, citations: [] };
    }
    const { model, maxTokens = 1024, temperature } = this.options;
    const prompt = buildPrompt(question, hits);
    const filter = new ReplyFilter(hits.length);
    const stream = this.client.messages.stream(
      {
        model,
        max_tokens: maxTokens,
        system: prompt.system,
        messages: prompt.messages,
        ...(temperature === undefined ? {} : { temperature }),
      },
      { signal: opts.signal },
    );
    stream.on('text', (delta) => {
      const shown = filter.push(delta);
      if (shown) opts.onToken?.(shown);
    });
    let message: Anthropic.Message;
    try {
      message = await stream.finalMessage();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw toLlmError(err, { model, passages: hits.length });
    }
    const tail = filter.flush();
    if (tail) opts.onToken?.(tail);
    const reply = filter.result();
    const usage = {
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
      model: message.model,
    };
    if (message.stop_reason === 'max_tokens') {
      this.log.warn({ maxTokens, outputTokens: usage.outputTokens }, 'answer cut off at max_tokens');
    }
    this.log.debug({ usage, cited: reply.order, refused: reply.refused }, 'claude answered');
    if (reply.ungrounded.length > 0) {
      // It cited passages it was never given: what rests on them was held back and is dropped.
      this.log.warn(
        { ungrounded: reply.ungrounded, passages: hits.length },
        'answer cited passages it was not given',
      );
      if (reply.refused || reply.order.length === 0) {
        opts.onToken?.(UNGROUNDED_ANSWER);
        return { answer: UNGROUNDED_ANSWER, refused: true, citations: [], usage };
      }
      const notice = `\n\n${UNGROUNDED_NOTICE}`;
      opts.onToken?.(notice);
      const citations = reply.order.map((n) => citationForHit(hits[n - 1]!));
      return { answer: reply.text + notice, refused: false, citations, usage };
    }
    if (reply.refused) {
      // A bare token showed nothing: say the refusal. A refusal in the model's words stands as shown.
      if (!reply.text) opts.onToken?.(REFUSAL_ANSWER);
      return { answer: reply.text || REFUSAL_ANSWER, refused: true, citations: [], usage };
    }
    const citations = reply.order.map((n) => citationForHit(hits[n - 1]!));
    return { answer: reply.text, refused: false, citations, usage };
  }
}

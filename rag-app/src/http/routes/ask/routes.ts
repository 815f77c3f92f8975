import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  appendExchange,
  conversationNotFound,
  getConversation,
} from '../../../conversations/conversations.ts';
import { refundDailyMessage, takeDailyMessage } from '../../../limits/usage.ts';
import type { AskOptions, AskResult } from '../../../types.ts';
import type { AppEnv, Service } from '../../context.ts';
import { classifyError, errorBody } from '../../errors.ts';
import { ipLimit } from '../../middleware/ip-limit.ts';
import { actingUser, readingUser } from '../../middleware/session.ts';
import { readJson } from '../../validate.ts';
import { askBody, searchBody } from './schema.ts';

/**
 * The AskResult, plus where it was stored when the question belonged to a conversation, and
 * `offline: true` when the model's global daily budget was spent and the offline answerer answered.
 */
export type AskResponse = AskResult & { conversationId?: string; messageId?: number; offline?: true };

export function askRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { rag, db, clock, config, logger, modelBudget } = service;

  /**
   * Answers with the model while its global daily budget lasts, else with the offline answerer.
   * The slot is reserved first and given back if the model wrote nothing.
   */
  const answer = async (question: string, options: AskOptions): Promise<AskResult & { offline?: true }> => {
    const slot = modelBudget ? await modelBudget.reserve(clock()) : null;
    if (modelBudget && slot === null)
      return { ...(await (await service.offlineRag()).ask(question, options)), offline: true };
    let result: AskResult;
    try {
      result = await rag.ask(question, options);
    } catch (err) {
      if (slot !== null) await modelBudget?.release(slot).catch(() => undefined);
      throw err;
    }
    if (slot !== null) await modelBudget?.settle(slot, result.usage);
    return result;
  };

  app.post('/api/search', ipLimit(service), async (c) => {
    const body = await readJson(c, searchBody);
    const { query, ...options } = body;
    return c.json({ results: await rag.search(query, options) });
  });

  app.post('/api/ask', ipLimit(service), async (c) => {
    const reader = readingUser(c);
    const body = await readJson(c, askBody);
    if (body.conversationId) {
      // A visitor with no guest identity yet owns no conversation: no guest is made for a 404.
      if (!reader) throw conversationNotFound();
      await getConversation(db, reader.id, body.conversationId);
    }
    const user = await actingUser(c);
    // Counted before answering, refunded if no answer comes: the cap cannot be raced past.
    const eventId = await takeDailyMessage(db, user.id, config.DAILY_MESSAGE_CAP, clock());
    const options: AskOptions = {
      ...(body.k !== undefined ? { k: body.k } : {}),
      ...(body.videoId !== undefined ? { videoId: body.videoId } : {}),
    };

    const finish = async (result: AskResult): Promise<AskResponse> => {
      if (!body.conversationId) return result;
      const stored = await appendExchange(db, user.id, body.conversationId, body.question, result, clock());
      return { ...result, conversationId: body.conversationId, messageId: stored.answerId };
    };
    const started = Date.now();
    const logDone = (result: AskResult, streamed: boolean) =>
      logger.info(
        {
          requestId: c.get('requestId'),
          userId: user.id,
          refused: result.refused,
          ms: Date.now() - started,
          streamed,
        },
        'answered',
      );

    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
      let response: AskResponse;
      try {
        const result = await answer(body.question, { ...options, signal: c.req.raw.signal });
        // Storing the exchange is part of the answer: if it fails, the question costs nothing.
        response = await finish(result);
        logDone(result, false);
      } catch (err) {
        await refundDailyMessage(db, eventId).catch(() => undefined);
        throw err;
      }
      return c.json(response);
    }

    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      // Tokens arrive synchronously from the model; a chain keeps them in order on the wire.
      let written: Promise<void> = Promise.resolve();
      const onToken = (text: string) => {
        written = written.then(() => stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) }));
      };
      try {
        const result = await answer(body.question, { ...options, onToken, signal: abort.signal });
        await written;
        const response = await finish(result);
        logDone(result, true);
        await stream.writeSSE({ event: 'done', data: JSON.stringify(response) });
      } catch (err) {
        await written.catch(() => undefined);
        await refundDailyMessage(db, eventId).catch(() => undefined);
        const e = classifyError(err, c.get('requestId'), logger);
        if (!stream.aborted)
          await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(e.code, e.message)) });
      }
    });
  });

  return app;
}

import { Hono } from 'hono';
import { actingUser, readingUser } from '../auth.ts';
import type { AppEnv, Service } from '../context.ts';
import { getExchange } from '../conversations.ts';
import { ApiError } from '../http-errors.ts';
import { type ProblemReport, reportToIssue } from '../issue-report.ts';
import { issueBody } from '../schemas.ts';
import { readJson } from '../validate.ts';
import { ipLimit } from './common.ts';

/** "Report a problem": files an issue on the forge (GitHub or the local one the factory reads). */
export function issueRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, forge, clock, logger } = service;

  app.post('/api/issues', ipLimit(service), async (c) => {
    readingUser(c); // 401 before anything else when anonymous mode is off
    const body = await readJson(c, issueBody);
    const user = await actingUser(c);
    let report: ProblemReport;
    if (body.messageId !== undefined) {
      // The stored exchange is the truth; it must be the reporter's own.
      const exchange = await getExchange(db, user.id, body.messageId);
      if (!exchange) throw new ApiError(404, 'message_not_found', 'no such answer in your conversations');
      report = {
        question: exchange.question,
        answer: exchange.result.answer,
        refused: exchange.result.refused,
        citations: exchange.result.citations,
        comment: body.comment,
        reporterId: user.id,
        conversationId: exchange.conversationId,
        messageId: body.messageId,
        reportedAt: clock(),
      };
    } else {
      report = {
        question: body.question ?? '',
        answer: body.answer ?? '',
        refused: body.refused ?? false,
        citations: body.citations ?? [],
        comment: body.comment,
        reporterId: user.id,
        reportedAt: clock(),
      };
    }
    let issue: { number: number; url: string };
    try {
      // Each reporter is an author of their own, so the factory's per-author flood limit sees them apart.
      issue = await forge.createIssue({ ...reportToIssue(report), author: `web:${user.id}` });
    } catch (err) {
      logger.error({ err, requestId: c.get('requestId') }, 'filing the problem report failed');
      throw new ApiError(
        502,
        'forge_unavailable',
        'the issue tracker did not accept the report; please try again later',
      );
    }
    logger.info({ issue: issue.number, userId: user.id }, 'problem report filed');
    return c.json({ number: issue.number, url: issue.url }, 201);
  });

  return app;
}

import type { Logger } from '../log.ts';
import type { Queryable } from '../store/db.ts';
import type { Citation } from '../types.ts';
import { getExchange } from './conversations.ts';
import { ConversationError } from './errors.ts';
import { formatTimestamp, linkText, quote } from './markdown.ts';

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

export interface ProblemReport {
  question: string;
  answer: string;
  refused: boolean;
  citations: Citation[];
  /** What the user says went wrong, in their words. */
  comment: string;
  reporterId: number;
  conversationId?: string | undefined;
  messageId?: number | undefined;
  reportedAt: Date;
}

export const REPORT_LABELS = ['user-report'];

/** The forge issue for a "report a problem": everything needed to reproduce, nothing private beyond it. */
export function reportToIssue(r: ProblemReport): { title: string; body: string; labels: string[] } {
  const q = r.question.replace(/\s+/g, ' ').trim();
  const title = `Problem report: ${q.length > 70 ? `${q.slice(0, 67)}…` : q || '(no question)'}`;
  const lines = [
    '## What the user says',
    '',
    r.comment.trim() ? quote(r.comment) : '_(no comment)_',
    '',
    '## Question',
    '',
    quote(r.question || '(none)'),
    '',
    `## Answer${r.refused ? ' (refused: the videos do not cover this)' : ''}`,
    '',
    quote(r.answer || '(empty)'),
    '',
    '## Citations',
    '',
  ];
  if (r.citations.length === 0) lines.push('_(none)_', '');
  r.citations.forEach((c, i) => {
    lines.push(
      `${i + 1}. [${linkText(c.title)} @ ${formatTimestamp(c.start)}](${c.url}) — video \`${c.videoId}\`, ${c.start}s–${c.end}s`,
    );
    lines.push(quote(c.text).replace(/^/gm, '   '), '');
  });
  lines.push(
    '## Context',
    '',
    `- reported at: ${r.reportedAt.toISOString()}`,
    `- reporter: user #${r.reporterId}`,
    ...(r.conversationId ? [`- conversation: ${r.conversationId}`] : []),
    ...(r.messageId ? [`- message: ${r.messageId}`] : []),
    '',
  );
  return { title, body: lines.join('\n'), labels: REPORT_LABELS };
}

/** A report as the user sends it: a stored answer of theirs (messageId), or the exchange itself. */
export interface ReportRequest {
  comment: string;
  messageId?: number | undefined;
  question?: string | undefined;
  answer?: string | undefined;
  refused?: boolean | undefined;
  citations?: Citation[] | undefined;
}

/**
 * Files "report a problem" on the forge. A stored exchange is the truth and must be the reporter's
 * own (`message_not_found` otherwise); a forge that does not accept it is `forge_unavailable`.
 */
export async function fileProblemReport(
  deps: { db: Queryable; forge: IssueForge; logger: Logger },
  request: ReportRequest,
  reporter: { id: number; at: Date; logContext?: Record<string, unknown> },
): Promise<{ number: number; url: string }> {
  let report: ProblemReport;
  if (request.messageId !== undefined) {
    const exchange = await getExchange(deps.db, reporter.id, request.messageId);
    if (!exchange) throw new ConversationError('message_not_found', 'no such answer in your conversations');
    report = {
      question: exchange.question,
      answer: exchange.result.answer,
      refused: exchange.result.refused,
      citations: exchange.result.citations,
      comment: request.comment,
      reporterId: reporter.id,
      conversationId: exchange.conversationId,
      messageId: request.messageId,
      reportedAt: reporter.at,
    };
  } else {
    report = {
      question: request.question ?? '',
      answer: request.answer ?? '',
      refused: request.refused ?? false,
      citations: request.citations ?? [],
      comment: request.comment,
      reporterId: reporter.id,
      reportedAt: reporter.at,
    };
  }
  try {
    // Each reporter is an author of their own, so the factory's per-author flood limit sees them apart.
    return await deps.forge.createIssue({ ...reportToIssue(report), author: `web:${reporter.id}` });
  } catch (err) {
    deps.logger.error({ err, ...reporter.logContext }, 'filing the problem report failed');
    throw new ConversationError(
      'forge_unavailable',
      'the issue tracker did not accept the report; please try again later',
    );
  }
}

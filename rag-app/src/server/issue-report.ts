import type { Citation } from '../types.ts';
import { formatTimestamp, linkText, quote } from './format.ts';

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

import { z } from 'zod';
import { LIMITS, printableString, tooLong, videoId } from '../../fields.ts';

/** Citations link to YouTube over https, nothing else: no javascript:, data:, file: or other hosts. */
export const CITATION_HOSTS = ['youtu.be', 'www.youtube.com', 'youtube.com', 'm.youtube.com'] as const;
const citationUrl = z
  .url({
    protocol: /^https$/,
    hostname: new RegExp(`^(${CITATION_HOSTS.map((h) => h.replace(/\./g, '\\.')).join('|')})$`),
    error: `citation url must be an https link to YouTube (${CITATION_HOSTS.join(', ')})`,
  })
  .max(500);

const citation = z.strictObject({
  videoId,
  title: printableString('citation title').max(500),
  start: z.number().min(0).max(1e7),
  end: z.number().min(0).max(1e7),
  url: citationUrl,
  text: printableString('citation text').max(LIMITS.commentChars),
});

/** Either point at a stored answer (messageId) or send the exchange itself. */
export const issueBody = z
  .strictObject({
    comment: printableString('comment')
      .trim()
      .max(LIMITS.commentChars, { error: tooLong('comment') })
      .default(''),
    messageId: z.number().int().positive().optional(),
    question: printableString('question')
      .max(LIMITS.questionChars, { error: tooLong('question') })
      .optional(),
    answer: printableString('answer')
      .max(20_000, { error: tooLong('answer') })
      .optional(),
    refused: z.boolean().optional(),
    citations: z.array(citation).max(LIMITS.maxSearchK).optional(),
  })
  .refine((b) => b.messageId !== undefined || (b.question !== undefined && b.answer !== undefined), {
    message: 'send messageId, or question and answer',
  });

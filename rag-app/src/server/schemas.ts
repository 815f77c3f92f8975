import { z } from 'zod';

/** Limits the API enforces; the web page reads the same numbers from /api/me. */
export const LIMITS = {
  bodyBytes: 64 * 1024,
  questionChars: 2000,
  queryChars: 500,
  commentChars: 4000,
  titleChars: 200,
  /** Passages an answer may draw on (each goes into the model's prompt). */
  maxAskK: 20,
  /** Results a search may return; the core's own ceiling. */
  maxSearchK: 50,
} as const;

const tooLong = (what: string) => (issue: { maximum?: unknown }) =>
  `${what} is too long (at most ${String(issue.maximum)} characters)`;

export const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} is empty`)
    .max(max, { error: tooLong(what) });

const videoId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w-]+$/, 'not a video id');
const isoDate = z.iso.date('use an ISO date, YYYY-MM-DD');

export const askBody = z.strictObject({
  question: text('question', LIMITS.questionChars),
  conversationId: z.uuid('not a conversation id').optional(),
  videoId: videoId.optional(),
  k: z.number().int().min(1).max(LIMITS.maxAskK).optional(),
});

export const searchBody = z.strictObject({
  query: text('query', LIMITS.questionChars),
  k: z.number().int().min(1).max(LIMITS.maxSearchK).optional(),
  videoId: videoId.optional(),
  publishedAfter: isoDate.optional(),
  publishedBefore: isoDate.optional(),
});

export const email = z
  .string({ error: 'email must be a string' })
  .trim()
  .toLowerCase()
  .max(254, 'email is too long')
  .pipe(z.email('not a valid email address'));

export const credentials = z.strictObject({
  email,
  password: z
    .string({ error: 'password must be a string' })
    .min(8, 'password is too short (at least 8 characters)')
    .max(200, 'password is too long (at most 200 characters)'),
});

export const pageQuery = z.strictObject({
  q: z
    .string()
    .trim()
    .max(LIMITS.queryChars, { error: tooLong('q') })
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const conversationCreate = z.strictObject({
  title: text('title', LIMITS.titleChars).optional(),
});

export const conversationRename = z.strictObject({
  title: text('title', LIMITS.titleChars),
});

export const searchQuery = z.strictObject({
  q: text('q', LIMITS.queryChars),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const exportQuery = z.strictObject({
  format: z.enum(['md', 'markdown']).default('md'),
});

const citation = z.strictObject({
  videoId,
  title: z.string().max(500),
  start: z.number().min(0),
  end: z.number().min(0),
  url: z.url().max(500),
  text: z.string().max(LIMITS.commentChars),
});

/** Either point at a stored answer (messageId) or send the exchange itself. */
export const issueBody = z
  .strictObject({
    comment: z
      .string()
      .trim()
      .max(LIMITS.commentChars, { error: tooLong('comment') })
      .default(''),
    messageId: z.number().int().positive().optional(),
    question: z
      .string()
      .max(LIMITS.questionChars, { error: tooLong('question') })
      .optional(),
    answer: z
      .string()
      .max(20_000, { error: tooLong('answer') })
      .optional(),
    refused: z.boolean().optional(),
    citations: z.array(citation).max(LIMITS.maxSearchK).optional(),
  })
  .refine((b) => b.messageId !== undefined || (b.question !== undefined && b.answer !== undefined), {
    message: 'send messageId, or question and answer',
  });

export const addVideoBody = z.strictObject({
  ref: text('ref', 500),
});

export const resyncBody = z.strictObject({
  videoId: videoId.optional(),
});

/** POST /api/admin-setup: the token from the link the server printed at start-up. */
export const adminSetupBody = z.strictObject({
  token: z.string({ error: 'token must be a string' }).min(1, 'token is empty').max(200, 'token is too long'),
});

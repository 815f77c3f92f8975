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

/**
 * PostgreSQL text and jsonb cannot hold U+0000: refused here with a reason, not at the store with a 500.
 * What the factory reads (problem reports) is kept to printable text: no other control characters.
 */
const hasNul = (s: string) => s.includes('\u0000');
/** C0 controls other than tab, line feed and carriage return, and DEL. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return true;
  }
  return false;
}
/** A string with no NUL byte; `what` names it in the error. */
export const plainString = (what: string) =>
  z.string({ error: `${what} must be a string` }).refine((s) => !hasNul(s), {
    error: `${what} contains a NUL byte (\\u0000)`,
  });

/** Printable text (tabs and line breaks allowed), for what is filed on the forge. */
const printableString = (what: string) =>
  z.string({ error: `${what} must be a string` }).refine((s) => !hasControl(s), {
    error: `${what} contains a control character (only tabs and line breaks are allowed)`,
  });

export const text = (what: string, max: number) =>
  plainString(what)
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

export const passwordChange = z.strictObject({
  currentPassword: z
    .string({ error: 'currentPassword must be a string' })
    .min(1, 'currentPassword is empty')
    .max(200),
  newPassword: credentials.shape.password,
});

export const pageQuery = z.strictObject({
  q: plainString('q')
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

/** The building blocks every route's schema uses, and the limits the API enforces. */
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

export const tooLong = (what: string) => (issue: { maximum?: unknown }) =>
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
export const printableString = (what: string) =>
  z.string({ error: `${what} must be a string` }).refine((s) => !hasControl(s), {
    error: `${what} contains a control character (only tabs and line breaks are allowed)`,
  });

export const text = (what: string, max: number) =>
  plainString(what)
    .trim()
    .min(1, `${what} is empty`)
    .max(max, { error: tooLong(what) });

export const videoId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w-]+$/, 'not a video id');
export const isoDate = z.iso.date('use an ISO date, YYYY-MM-DD');

export const pageQuery = z.strictObject({
  q: plainString('q')
    .trim()
    .max(LIMITS.queryChars, { error: tooLong('q') })
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

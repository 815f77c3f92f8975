import type { z } from 'zod';

export interface DescribeIssuesOptions {
  /** What to call the value itself when an issue has no path (`body: expected object`); without it such an issue is its message alone. */
  root?: string;
  /** Names at most this many issues (all by default). */
  max?: number;
  /** Counts the issues past `max`: `… (and 2 more)`. */
  countRest?: boolean;
  /** Names unknown keys as `unknown <noun>: a, b` (`field`, `parameter`) instead of zod's message. */
  unknownKeys?: string;
  /** A message that already names its field (`question is too long …`) is shown without the prefix. */
  selfNamed?: boolean;
}

/** One readable line naming each bad field, `segments.3.offset: expected number`, issues joined by `; `. */
export function describeZodIssues(
  error: z.ZodError | readonly z.core.$ZodIssue[],
  options: DescribeIssuesOptions = {},
): string {
  const issues = Array.isArray(error) ? error : (error as z.ZodError).issues;
  const max = options.max ?? issues.length;
  const parts = issues.slice(0, max).map((issue) => describeIssue(issue, options));
  const rest = issues.length - max;
  const line = parts.join('; ');
  return options.countRest && rest > 0 ? `${line} (and ${rest} more)` : line;
}

function describeIssue(issue: z.core.$ZodIssue, options: DescribeIssuesOptions): string {
  if (options.unknownKeys && issue.code === 'unrecognized_keys') {
    const noun = issue.keys.length > 1 ? `${options.unknownKeys}s` : options.unknownKeys;
    return `unknown ${noun}: ${issue.keys.join(', ')}`;
  }
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : options.root;
  if (where === undefined) return issue.message;
  return options.selfNamed && issue.message.startsWith(`${where} `)
    ? issue.message
    : `${where}: ${issue.message}`;
}

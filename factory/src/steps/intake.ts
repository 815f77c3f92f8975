import type { Comment, Forge, Issue } from '@dark-factory/forge';
import { z } from 'zod';
import { ParsedIssueFormSchema, parseIssueForm } from './issue-form.ts';
import { issueHash, sanitizeIssueText } from './sanitize.ts';

/** Labels the factory puts on issues; an issue carrying one is not picked up again by the loop. */
export const FACTORY_LABEL_PREFIX = 'factory:';

export const IntakeResultSchema = z.object({
  issue: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string(),
    author: z.string().nullable(),
    url: z.string(),
    labels: z.array(z.string()),
  }),
  /** Only the issue author's and collaborators' comments, sanitised; never the factory's own or bots'. */
  comments: z.array(z.object({ author: z.string(), body: z.string() })),
  ignoredComments: z.number().int().nonnegative(),
  removed: z.object({
    htmlComments: z.number().int().nonnegative(),
    zeroWidth: z.number().int().nonnegative(),
    bidi: z.number().int().nonnegative(),
  }),
  /** The issue form the body was filed with (.github/ISSUE_TEMPLATE), if any; absent in older runs. */
  form: ParsedIssueFormSchema.nullable().optional(),
  /** sha256 of the sanitised title and body: the text triage accepted. */
  hash: z.string(),
  bodyChars: z.number().int().nonnegative(),
});
export type IntakeResult = z.infer<typeof IntakeResultSchema>;

export function hasFactoryLabel(issue: Pick<Issue, 'labels'>): boolean {
  return issue.labels.some((l) => l.toLowerCase().startsWith(FACTORY_LABEL_PREFIX));
}

const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

/** Reads the issue and keeps only what may reach a model: issue text is data, never instructions. */
export async function intakeIssue(forge: Forge, number: number): Promise<IntakeResult> {
  const issue = await forge.getIssue(number);
  const title = sanitizeIssueText(issue.title);
  const body = sanitizeIssueText(issue.body);
  const viewer = await forge.viewer();
  const permissions = new Map<string, boolean>();
  const mayComment = async (c: Comment): Promise<boolean> => {
    if (!c.author || c.authorIsBot || c.author === viewer) return false;
    if (c.author === issue.author) return true;
    let allowed = permissions.get(c.author);
    if (allowed === undefined) {
      allowed = WRITE_PERMISSIONS.has(await forge.getPermission(c.author));
      permissions.set(c.author, allowed);
    }
    return allowed;
  };
  const comments: IntakeResult['comments'] = [];
  let ignored = 0;
  const removed = {
    htmlComments: title.removed.htmlComments + body.removed.htmlComments,
    zeroWidth: title.removed.zeroWidth + body.removed.zeroWidth,
    bidi: title.removed.bidi + body.removed.bidi,
  };
  for (const c of await forge.listComments(number)) {
    if (!(await mayComment(c))) {
      ignored++;
      continue;
    }
    const text = sanitizeIssueText(c.body);
    removed.htmlComments += text.removed.htmlComments;
    removed.zeroWidth += text.removed.zeroWidth;
    removed.bidi += text.removed.bidi;
    if (text.text.trim()) comments.push({ author: c.author ?? 'unknown', body: text.text });
  }
  return IntakeResultSchema.parse({
    issue: {
      number: issue.number,
      title: title.text,
      body: body.text,
      author: issue.author ?? null,
      url: issue.url,
      labels: issue.labels,
    },
    comments,
    ignoredComments: ignored,
    removed,
    form: parseIssueForm(body.text, issue.labels),
    hash: issueHash(issue.title, issue.body),
    bodyChars: issue.body.length,
  });
}

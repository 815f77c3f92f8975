import { z } from 'zod';
import type { Actor, IntakeEvent } from './types.ts';

/**
 * The part of GitHub's webhook payloads the intake reads (issues, issue_comment, pull_request),
 * validated with zod: loose objects, because GitHub adds fields; strict about what is read.
 */

export const HANDLED_EVENTS = ['issues', 'issue_comment', 'pull_request'] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

const UserSchema = z.looseObject({
  login: z.string().min(1).max(100),
  type: z.string().optional(),
});

const LabelSchema = z.union([z.string(), z.looseObject({ name: z.string() })]);

const IssueSchema = z.looseObject({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  labels: z.array(LabelSchema).default([]),
  user: UserSchema.nullish(),
  pull_request: z.unknown().optional(),
});

const RepositorySchema = z.looseObject({ full_name: z.string() });

const Base = {
  action: z.string().min(1).max(100),
  sender: UserSchema,
  repository: RepositorySchema.optional(),
};

export const PAYLOAD_SCHEMAS = {
  issues: z.looseObject({ ...Base, issue: IssueSchema }),
  issue_comment: z.looseObject({
    ...Base,
    issue: IssueSchema,
    comment: z.looseObject({
      id: z.number().int().positive(),
      body: z.string().nullish(),
      html_url: z.string().optional(),
      user: UserSchema.nullish(),
    }),
  }),
  pull_request: z.looseObject({
    ...Base,
    pull_request: z.looseObject({
      number: z.number().int().positive(),
      merged: z.boolean().nullish(),
      merged_at: z.string().nullish(),
      head: z.looseObject({ ref: z.string().min(1) }),
    }),
  }),
} satisfies Record<HandledEvent, z.ZodType>;

export type ParsedPayload =
  | { ok: true; event: IntakeEvent; repository: string | undefined }
  | { ok: false; error: string };

/** Validates a handled event's payload and reduces it to an IntakeEvent; the error names the fields. */
export function parsePayload(name: HandledEvent, payload: unknown): ParsedPayload {
  const fail = (error: z.ZodError): ParsedPayload => ({
    ok: false,
    error: `${name} payload: ${z.prettifyError(error).replace(/\n/g, '; ')}`,
  });
  switch (name) {
    case 'issues': {
      const parsed = PAYLOAD_SCHEMAS.issues.safeParse(payload);
      if (!parsed.success) return fail(parsed.error);
      const { action, issue, sender, repository } = parsed.data;
      return {
        ok: true,
        repository: repository?.full_name,
        event: {
          kind: 'issue',
          action,
          issue: {
            number: issue.number,
            isPullRequest: isPull(issue.pull_request),
            state: issue.state,
            labels: issue.labels.map((l) => (typeof l === 'string' ? l : l.name)),
          },
          sender: actor(sender),
        },
      };
    }
    case 'issue_comment': {
      const parsed = PAYLOAD_SCHEMAS.issue_comment.safeParse(payload);
      if (!parsed.success) return fail(parsed.error);
      const { action, issue, comment, sender, repository } = parsed.data;
      return {
        ok: true,
        repository: repository?.full_name,
        event: {
          kind: 'comment',
          action,
          issue: { number: issue.number, isPullRequest: isPull(issue.pull_request) },
          comment: {
            id: comment.id,
            body: comment.body ?? '',
            ...(comment.html_url ? { url: comment.html_url } : {}),
          },
          sender: actor(sender),
        },
      };
    }
    case 'pull_request': {
      const parsed = PAYLOAD_SCHEMAS.pull_request.safeParse(payload);
      if (!parsed.success) return fail(parsed.error);
      const { action, pull_request: pull, sender, repository } = parsed.data;
      return {
        ok: true,
        repository: repository?.full_name,
        event: {
          kind: 'pull_request',
          action,
          pull: { number: pull.number, head: pull.head.ref, merged: Boolean(pull.merged ?? pull.merged_at) },
          sender: actor(sender),
        },
      };
    }
  }
}

function actor(user: z.infer<typeof UserSchema>): Actor {
  return { login: user.login, isBot: user.type === 'Bot' || user.login.toLowerCase().endsWith('[bot]') };
}

function isPull(value: unknown): boolean {
  return value !== undefined && value !== null;
}

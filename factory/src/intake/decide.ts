import type { Permission } from '@dark-factory/forge';
import type { CommandPermission, FactoryCommand, Policy } from '../policy/schema.ts';
import type { IssueJobReason } from '../queue/types.ts';
import { FACTORY_LABEL_PREFIX } from '../steps/intake.ts';
import { parseCommand } from './commands.ts';
import type { Actor, IntakeEvent } from './types.ts';

/**
 * Who may trigger what, decided from the event and the policy alone (pure). The forge is asked
 * afterwards, and only for what this cannot know: a commenter's access (never judged by name).
 */
export type Decision =
  | { kind: 'ignore'; why: string }
  | { kind: 'triage'; issue: number; reason: IssueJobReason }
  | {
      kind: 'command';
      command: FactoryCommand | 'unknown';
      /** The word after `/factory` when it is no command. */
      word?: string;
      /** The issue or pull request the comment is on. */
      on: { number: number; isPullRequest?: boolean };
      commentId: number;
      commentUrl?: string;
      actor: string;
      needs: CommandPermission;
    }
  /** A person closed the issue, or the factory's pull request for it: its running run stops. */
  | {
      kind: 'closed';
      issue: number;
      pull?: { number: number; head: string };
      actor: string;
      needs: CommandPermission;
    };

export interface DecideContext {
  policy: Pick<Policy, 'triggers'>;
  /** The factory's own login on the forge (undefined when the token cannot tell: bots are still caught). */
  viewer: string | undefined;
}

/** Factory branches are `factory/<issue>-<slug>` (workspace/worktree.ts branchName). */
export const FACTORY_BRANCH = /^factory\/(\d+)-/;

export function decide(event: IntakeEvent, ctx: DecideContext): Decision {
  const ignored = ignoredActor(event.sender, ctx);
  if (ignored) return { kind: 'ignore', why: ignored };
  const triggers = ctx.policy.triggers;
  switch (event.kind) {
    case 'issue': {
      const { issue } = event;
      if (issue.isPullRequest) return { kind: 'ignore', why: `#${issue.number} is a pull request` };
      // Closing the issue withdraws it: a run on it stops, like `/factory stop`.
      if (event.action === 'closed') {
        return {
          kind: 'closed',
          issue: issue.number,
          actor: event.sender.login,
          needs: triggers.commands.stop,
        };
      }
      const reason = issueReason(event.action, triggers.issues);
      if (!reason) return { kind: 'ignore', why: `issues.${event.action} does not trigger the factory` };
      if (issue.state !== 'open') return { kind: 'ignore', why: `#${issue.number} is closed` };
      const label = issue.labels.find((l) => l.toLowerCase().startsWith(FACTORY_LABEL_PREFIX));
      if (label) {
        return {
          kind: 'ignore',
          why: `#${issue.number} was already taken by the factory (${label}); \`/factory retry\` takes it again`,
        };
      }
      return { kind: 'triage', issue: issue.number, reason };
    }
    case 'comment': {
      if (event.action !== 'created')
        return { kind: 'ignore', why: `comment ${event.action}: only new comments count` };
      const parsed = parseCommand(event.comment.body);
      if (!parsed) return { kind: 'ignore', why: 'the comment holds no /factory command' };
      const command = parsed.command;
      return {
        kind: 'command',
        command,
        ...(parsed.command === 'unknown' ? { word: parsed.word } : {}),
        on: event.issue,
        commentId: event.comment.id,
        ...(event.comment.url ? { commentUrl: event.comment.url } : {}),
        actor: event.sender.login,
        // An unknown command is answered only to those who could run a known one.
        needs: command === 'unknown' ? leastOf(Object.values(triggers.commands)) : triggers.commands[command],
      };
    }
    case 'pull_request': {
      const { pull } = event;
      if (event.action !== 'closed' || pull.merged) {
        return {
          kind: 'ignore',
          why: `pull_request.${event.action}${pull.merged ? ' (merged)' : ''} needs nothing`,
        };
      }
      if (!FACTORY_BRANCH.test(pull.head)) {
        return { kind: 'ignore', why: `#${pull.number} is not a factory pull request (${pull.head})` };
      }
      // Closing the factory's pull request is a person saying no: it stops the run like `/factory stop`.
      return {
        kind: 'closed',
        issue: Number(FACTORY_BRANCH.exec(pull.head)?.[1]),
        pull: { number: pull.number, head: pull.head },
        actor: event.sender.login,
        needs: triggers.commands.stop,
      };
    }
  }
}

/** Why an actor is ignored altogether (no answer either: answering a bot can loop), or undefined. */
export function ignoredActor(actor: Actor, ctx: DecideContext): string | undefined {
  const login = actor.login.toLowerCase();
  if (ctx.viewer && login === ctx.viewer.toLowerCase()) return `@${actor.login} is the factory's own account`;
  if (actor.isBot || login.endsWith('[bot]')) return `@${actor.login} is a bot`;
  if (ctx.policy.triggers.ignore.some((l) => l.toLowerCase() === login)) {
    return `@${actor.login} is listed in triggers.ignore`;
  }
  return undefined;
}

/** A webhook's action, or a polled change: `new` (created since the last poll) or `changed`. */
function issueReason(action: string, allowed: readonly string[]): IssueJobReason | undefined {
  if (action === 'opened' || action === 'reopened' || action === 'edited') {
    return allowed.includes(action) ? action : undefined;
  }
  if (action === 'new') return allowed.includes('opened') ? 'opened' : undefined;
  if (action === 'changed')
    return allowed.includes('edited') || allowed.includes('reopened') ? 'poll' : undefined;
  return undefined;
}

const RANK: Record<Permission, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

/** Whether `have` is at least `needs` (admin > maintain > write > triage > read > none). */
export function atLeast(have: Permission, needs: CommandPermission): boolean {
  return RANK[have] >= RANK[needs];
}

function leastOf(levels: CommandPermission[]): CommandPermission {
  return levels.reduce((a, b) => (RANK[b] < RANK[a] ? b : a), 'admin');
}

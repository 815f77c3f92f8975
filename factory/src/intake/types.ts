import type { Forge } from '@dark-factory/forge';
import type { Logger } from 'pino';
import type { Policy } from '../policy/schema.ts';
import type { JobQueue } from '../queue/types.ts';
import type { RunStore } from '../runs/types.ts';

/**
 * What the intake sees, whether it came from a webhook or a poll: one event in the factory's own
 * terms (GitHub's payloads are validated and reduced to this in webhook-payloads.ts).
 */

/** Who did it. `isBot`: GitHub's `type: "Bot"` (or a `[bot]` login). */
export interface Actor {
  login: string;
  isBot: boolean;
}

export interface IssueRef {
  number: number;
  /** Known from a webhook; a polled comment says only which number it is on. */
  isPullRequest?: boolean;
}

export type IntakeEvent =
  | {
      kind: 'issue';
      /** GitHub's action (`opened`, `edited`, `labeled`, …); polled: `new` or `changed`. */
      action: string;
      issue: IssueRef & { state: 'open' | 'closed'; labels: string[] };
      sender: Actor;
    }
  | {
      kind: 'comment';
      action: string;
      issue: IssueRef;
      comment: { id: number; body: string; url?: string };
      sender: Actor;
    }
  | {
      kind: 'pull_request';
      action: string;
      pull: { number: number; head: string; merged: boolean };
      sender: Actor;
    };

/** What the intake did with an event: the webhook's answer and the delivery's record. */
export interface IntakeOutcome {
  outcome: 'enqueued' | 'deduped' | 'ignored' | 'refused' | 'done';
  /** One sentence a person can act on (why it was ignored, what the command did). */
  detail: string;
  issue?: number;
  jobId?: string | null;
  command?: string;
  /** The comment the factory posted in answer, if any. */
  replied?: boolean;
}

/** The slice of the run store the intake uses (the run store satisfies it). */
export type IntakeStore = Pick<
  RunStore,
  | 'activeRun'
  | 'listRuns'
  | 'getRun'
  | 'steps'
  | 'runCost'
  | 'requestStop'
  | 'stopRequest'
  | 'withdrawStop'
  | 'claimDelivery'
  | 'setDeliveryOutcome'
  | 'releaseDelivery'
>;

/** Everything the intake needs, passed in. Producers only enqueue: no run happens here. */
export interface IntakeDeps {
  queue: Pick<JobQueue, 'enqueue'>;
  forge: Forge;
  /** The base branch's policy (its `triggers` decide who may do what). */
  policy: Policy;
  store: IntakeStore;
  logger: Logger;
  /** Values replaced in every comment the intake writes (redact.ts secretValues of the environment). */
  secrets?: readonly string[];
}

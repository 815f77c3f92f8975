import { type Forge, isForgeError } from '@dark-factory/forge';
import { type IssueJob, IssueJobSchema } from '../queue/types.ts';
import { redact } from '../redact.ts';
import { FACTORY_LABEL_PREFIX } from '../steps/intake.ts';
import { COMMAND_HELP } from './commands.ts';
import { atLeast, type Decision, decide, FACTORY_BRANCH } from './decide.ts';
import { explainRun } from './explain.ts';
import type { IntakeDeps, IntakeEvent, IntakeOutcome } from './types.ts';

type CommandDecision = Extract<Decision, { kind: 'command' }>;
type ClosedDecision = Extract<Decision, { kind: 'closed' }>;

const SIGNATURE = '**dark-factory**';
const MAX_COMMENT = 65_000;

/**
 * Acts on one event: enqueues triage, runs a comment command (after asking the forge for the
 * commenter's access) or ignores it, and says why. Producers only enqueue; no run happens here.
 * `source` names where the event came from (a delivery id, a poll) for the job and the logs.
 */
export async function handleIntakeEvent(
  event: IntakeEvent,
  deps: IntakeDeps,
  source: string,
): Promise<IntakeOutcome> {
  const viewer = await deps.forge.viewer();
  const decision = decide(event, { policy: deps.policy, viewer });
  let outcome: IntakeOutcome;
  switch (decision.kind) {
    case 'ignore':
      outcome = { outcome: 'ignored', detail: decision.why };
      break;
    case 'triage':
      outcome = await enqueue(deps, { issue: decision.issue, reason: decision.reason, source });
      break;
    case 'command':
      outcome = await runCommand(decision, deps, source);
      break;
    case 'closed':
      outcome = await closedByPerson(decision, deps, source);
      break;
  }
  deps.logger.info({ source, event: event.kind, action: event.action, ...outcome }, 'intake');
  return outcome;
}

async function enqueue(deps: IntakeDeps, job: IssueJob): Promise<IntakeOutcome> {
  const parsed = IssueJobSchema.parse({ ...job, source: job.source?.slice(0, 200) });
  const res = await deps.queue.enqueue(parsed);
  return res.deduped
    ? {
        outcome: 'deduped',
        detail: `#${job.issue} is already queued or running`,
        issue: job.issue,
        jobId: null,
      }
    : {
        outcome: 'enqueued',
        detail: `#${job.issue} queued (${job.reason})`,
        issue: job.issue,
        jobId: res.jobId,
      };
}

async function runCommand(d: CommandDecision, deps: IntakeDeps, source: string): Promise<IntakeOutcome> {
  const { forge } = deps;
  const name = d.command === 'unknown' ? `/factory ${d.word ?? ''}`.trim() : `/factory ${d.command}`;
  const say = (text: string, isPullRequest = d.on.isPullRequest) =>
    replyOn(
      forge,
      d.on.number,
      isPullRequest,
      redact(`${SIGNATURE}: @${d.actor} ${text}`, [...(deps.secrets ?? [])]),
    );
  const done = (outcome: IntakeOutcome['outcome'], detail: string, issue?: number): IntakeOutcome => ({
    outcome,
    detail,
    command: name,
    replied: true,
    ...(issue === undefined ? {} : { issue }),
  });

  // Access is asked of the forge (GitHub's collaborator permission), never read from the comment.
  const have = await forge.getPermission(d.actor);
  if (!atLeast(have, d.needs)) {
    await say(
      `\`${name}\` was refused: it needs ${d.needs} access to this repository, and yours is ${have}. Ask a maintainer.`,
    );
    return done('refused', `@${d.actor} has ${have} access; ${name} needs ${d.needs}`);
  }
  if (d.command === 'unknown') {
    const known = Object.entries(COMMAND_HELP).map(([c, what]) => `\`/factory ${c}\` (${what})`);
    await say(`\`${name}\` is not a command. The commands are ${known.join(', ')}.`);
    return done('refused', `unknown command ${name}`);
  }
  const target = await resolveIssue(forge, d.on);
  if ('error' in target) {
    await say(`\`${name}\` was refused: ${target.error}.`, target.isPullRequest);
    return done('refused', target.error);
  }
  const n = target.issue;
  const on = target.isPullRequest;
  switch (d.command) {
    case 'retry': {
      const issue = await forge.getIssue(n);
      if (issue.state !== 'open') {
        await say(`\`${name}\` was refused: #${n} is closed; reopen it first.`, on);
        return done('refused', `#${n} is closed`, n);
      }
      const active = await deps.store.activeRun(n);
      if (active?.leaseLive) {
        await say(
          `\`${name}\` was refused: run \`${active.id}\` of #${n} is still running. \`/factory stop\` ends it; retry after that.`,
          on,
        );
        return done('refused', `run ${active.id} is still running`, n);
      }
      // The latest word wins: a stop the waiting run has not acted on yet would end the retried run at once.
      const withdrawn = active ? await deps.store.withdrawStop(active.id) : false;
      // Without factory labels the issue counts as new again (for the loop and the poller too).
      for (const label of issue.labels.filter((l) => l.toLowerCase().startsWith(FACTORY_LABEL_PREFIX))) {
        await forge.removeLabel(n, label);
      }
      const queued = await enqueue(deps, { issue: n, reason: 'retry', source, requestedBy: d.actor });
      const resumed = active
        ? ` Run \`${active.id}\`, which no worker holds, is resumed${withdrawn ? ' (the stop asked for earlier is withdrawn)' : ''}.`
        : '';
      await say(
        queued.outcome === 'deduped'
          ? `#${n} is already queued; it runs soon.${resumed}`
          : `retrying #${n}: queued.${resumed}`,
        on,
      );
      return { ...queued, command: name, replied: true };
    }
    case 'stop': {
      const active = await deps.store.activeRun(n);
      if (!active) {
        await say(`\`${name}\`: no run of #${n} is in progress, so there is nothing to stop.`, on);
        return done('refused', `no run of #${n} is in progress`, n);
      }
      const res = await deps.store.requestStop(active.id, {
        requestedBy: d.actor,
        source: d.commentUrl ?? source,
        note: `${name} on #${d.on.number}`,
      });
      if (res.status === 'not_running') {
        await say(`\`${name}\`: run \`${active.id}\` of #${n} has just ended; nothing to stop.`, on);
        return done('refused', `run ${active.id} has ended`, n);
      }
      if (res.status === 'already_requested') {
        await say(
          `run \`${active.id}\` of #${n} was already asked to stop by @${res.request.requestedBy}.`,
          on,
        );
        return done('done', `stop of run ${active.id} was already requested`, n);
      }
      const steps = await deps.store.steps(active.id);
      const last = steps.at(-1);
      const label = deps.policy.stopReasons.stopped.label;
      await say(
        `stopping run \`${active.id}\` of #${n}: it ends before its next step${last ? ` (the last finished step is \`${last.name}\`)` : ''}${active.leaseLive ? '' : ' (no worker holds it now: it ends when one takes it up)'}. The issue gets \`${label}\`; \`/factory retry\` takes it again.`,
        on,
      );
      return done('done', `stop of run ${active.id} requested`, n);
    }
    case 'explain': {
      const [run] = await deps.store.listRuns({ issue: n, limit: 1 });
      if (!run) {
        await say(`the factory has not run on #${n} yet.`, on);
        return done('done', `no run of #${n}`, n);
      }
      const [steps, cost, stop] = await Promise.all([
        deps.store.steps(run.id),
        deps.store.runCost(run.id),
        deps.store.stopRequest(run.id),
      ]);
      const text = explainRun({ run, steps, cost, stop, policy: deps.policy, now: new Date() });
      await replyOn(
        forge,
        d.on.number,
        on,
        redact(`@${d.actor}\n\n${text}`, [...(deps.secrets ?? [])]).slice(0, MAX_COMMENT),
      );
      return done('done', `explained run ${run.id}`, n);
    }
  }
}

async function closedByPerson(d: ClosedDecision, deps: IntakeDeps, source: string): Promise<IntakeOutcome> {
  const what = d.pull ? `pull request #${d.pull.number}` : `issue #${d.issue}`;
  const have = await deps.forge.getPermission(d.actor);
  if (!atLeast(have, d.needs)) {
    return {
      outcome: 'ignored',
      detail: `${what} was closed by @${d.actor}, whose ${have} access cannot stop runs`,
    };
  }
  const active = await deps.store.activeRun(d.issue);
  const ours = active && (!d.pull || active.pr === d.pull.number || active.branch === d.pull.head);
  if (!active || !ours) return { outcome: 'ignored', detail: `no run is working on ${what}`, issue: d.issue };
  const res = await deps.store.requestStop(active.id, {
    requestedBy: d.actor,
    source,
    note: `closed ${what}`,
  });
  if (res.status !== 'requested') {
    return {
      outcome: 'ignored',
      detail: `run ${active.id}: ${res.status.replace('_', ' ')}`,
      issue: d.issue,
    };
  }
  await deps.forge.commentOnIssue(
    d.issue,
    redact(
      `${SIGNATURE}: @${d.actor} closed ${d.pull ? `#${d.pull.number}` : 'this issue'}, so run \`${active.id}\` ends before its next step. \`/factory retry\` takes the issue again.`,
      [...(deps.secrets ?? [])],
    ),
  );
  return {
    outcome: 'done',
    detail: `stop of run ${active.id} requested (${what} closed)`,
    issue: d.issue,
    replied: true,
  };
}

/** The issue a command is about: the issue itself, or the one a factory pull request is for. */
async function resolveIssue(
  forge: Forge,
  on: { number: number; isPullRequest?: boolean },
): Promise<{ issue: number; isPullRequest: boolean } | { error: string; isPullRequest?: boolean }> {
  if (on.isPullRequest === false) return { issue: on.number, isPullRequest: false };
  if (on.isPullRequest === undefined) {
    // A polled comment names only a number: an issue, or else a pull request.
    try {
      await forge.getIssue(on.number);
      return { issue: on.number, isPullRequest: false };
    } catch (err) {
      if (!isForgeError(err, 'not_found')) throw err;
    }
  }
  const pull = await forge.getPullRequest(on.number);
  const issue = FACTORY_BRANCH.exec(pull.head)?.[1];
  if (!issue)
    return { error: `#${on.number} is not one of the factory's pull requests`, isPullRequest: true };
  return { issue: Number(issue), isPullRequest: true };
}

/** Comments where the command was written (the local forge keeps issue and PR calls apart). */
async function replyOn(forge: Forge, number: number, isPullRequest: boolean | undefined, text: string) {
  if (isPullRequest) return forge.commentOnPullRequest(number, text);
  try {
    return await forge.commentOnIssue(number, text);
  } catch (err) {
    if (isPullRequest === undefined && isForgeError(err, 'not_found'))
      return forge.commentOnPullRequest(number, text);
    throw err;
  }
}

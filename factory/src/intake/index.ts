/** GitHub intake: the webhook, the polling fallback, and the policy of who may trigger what. */
export { COMMAND_HELP, type ParsedCommand, parseCommand } from './commands.ts';
export { atLeast, type Decision, decide, FACTORY_BRANCH, ignoredActor } from './decide.ts';
export { explainRun } from './explain.ts';
export { handleIntakeEvent } from './handle.ts';
export {
  COMMENTS_CURSOR,
  ISSUES_CURSOR,
  type PollerDeps,
  type PollLoopOptions,
  type PollReport,
  pollOnce,
  runPoller,
} from './poll.ts';
export type { Actor, IntakeDeps, IntakeEvent, IntakeOutcome, IntakeStore } from './types.ts';
export { createWebhookRoutes, DEFAULT_MAX_BODY_BYTES, type WebhookDeps } from './webhook.ts';
export { HANDLED_EVENTS, parsePayload } from './webhook-payloads.ts';

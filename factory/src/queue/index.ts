export { createIssueJobHandler, decideJob, type IssueHandlerOptions, isTransient } from './handler.ts';
export { type OpenedJobQueue, type OpenJobQueueOptions, openJobQueue } from './open.ts';
export { createPgBossJobQueue, ensureQueues, singletonKey } from './pg-boss-queue.ts';
export * from './settings.ts';
export * from './types.ts';

import { z } from 'zod';
import { FactoryError } from '../errors.ts';

/**
 * How the factory's queue behaves. The job lease (pg-boss `heartbeatSeconds`) is the run store's
 * lease: a worker that dies stops renewing both, so the job is handed to another worker when the
 * run's lease has expired too, and that worker resumes the run instead of waiting for it.
 */
export const QueueSettingsSchema = z.strictObject({
  /** pg-boss refuses heartbeats under 10 s. */
  leaseSeconds: z.number().int().min(10).max(3600),
  /** Retries after the first attempt, for TransientJobError only. */
  retryLimit: z.number().int().min(0).max(20),
  /** First retry delay; doubled per retry (pg-boss `retryBackoff`, with jitter), up to `retryDelayMaxSeconds`. */
  retryDelaySeconds: z.number().int().min(1).max(3600),
  retryDelayMaxSeconds: z.number().int().min(1).max(86_400),
  /** The longest a run may hold its job (pg-boss `expireInSeconds`): above the run's wall-time budget. */
  expireSeconds: z.number().int().min(60).max(86_400),
});
export type QueueSettings = z.infer<typeof QueueSettingsSchema>;

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  leaseSeconds: 60,
  retryLimit: 3,
  retryDelaySeconds: 30,
  retryDelayMaxSeconds: 900,
  expireSeconds: 4 * 3600,
};

/** The pg-boss queue the issue jobs live in, and the one their dead jobs are copied to. */
export const ISSUE_QUEUE = 'factory-issues';
export const DEAD_QUEUE = 'factory-issues-dead';
/** PostgreSQL schema of the queue's tables (the run store is in `factory`). */
export const DEFAULT_QUEUE_SCHEMA = 'factory_queue';

const ENV: Record<keyof QueueSettings, string> = {
  leaseSeconds: 'FACTORY_LEASE_SECONDS',
  retryLimit: 'FACTORY_JOB_RETRIES',
  retryDelaySeconds: 'FACTORY_JOB_RETRY_DELAY_SECONDS',
  retryDelayMaxSeconds: 'FACTORY_JOB_RETRY_DELAY_MAX_SECONDS',
  expireSeconds: 'FACTORY_JOB_EXPIRE_SECONDS',
};

/** Reads the settings from the environment; the lease is raised to pg-boss's minimum of 10 s. */
export function queueSettingsFromEnv(env: Record<string, string | undefined>): QueueSettings {
  const raw: Record<string, number> = { ...DEFAULT_QUEUE_SETTINGS };
  for (const [key, name] of Object.entries(ENV)) {
    const value = env[name]?.trim();
    if (value) raw[key] = Number(value);
  }
  raw.leaseSeconds = Math.max(10, Math.ceil(raw.leaseSeconds ?? 60));
  const parsed = QueueSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${ENV[i.path[0] as keyof QueueSettings]}: ${i.message}`);
    throw new FactoryError('usage', `invalid queue settings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

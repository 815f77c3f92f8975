import pino from 'pino';

/** Structured logs on stderr: stdout stays free for reports and JSON. */
export const logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { app: 'evals' } },
  pino.destination({ dest: 2, sync: true }),
);

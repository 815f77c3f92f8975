import pino from 'pino';

/** Structured logs go to stderr so that stdout stays clean for `--json` output. */
export const logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { app: 'rag-app' } },
  pino.destination({ dest: 2, sync: true }),
);

export type Logger = pino.Logger;

import pino from 'pino';

/** Forge logs go to stderr (stdout belongs to CLI output); callers may inject their own pino logger. */
export const defaultForgeLogger: pino.Logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { app: 'factory', module: 'forge' } },
  pino.destination({ dest: 2, sync: true }),
);

export type Logger = pino.Logger;

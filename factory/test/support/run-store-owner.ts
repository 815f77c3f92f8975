/**
 * A second process for the run-store tests: opens a factory store as its owner (PGlite, status
 * endpoint on), writes one run, prints `{url, runId, migrated}` as one JSON line, and closes the
 * store when its stdin ends. Usage: node --import tsx run-store-owner.ts <dataDir>
 */
import pino from 'pino';
import { openRunStore } from '../../src/runs/open.ts';
import { priceUsage } from '../../src/runs/prices.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: run-store-owner.ts <dataDir>');

const store = await openRunStore({
  dataDir,
  logger: pino({ level: 'silent' }),
  label: 'run-store test owner',
});
const owner = `owner-process:${process.pid}`;
const run = await store.createRun(
  {
    issue: 900,
    author: 'alice',
    base: 'main',
    baseSha: 'a'.repeat(40),
    branch: 'factory/900-x',
    repo: '/repo',
  },
  { owner, ttlMs: 60_000 },
);
await store.saveStep(
  {
    runId: run.id,
    name: 'triage',
    status: 'ok',
    reason: null,
    result: { decision: 'accept' },
    startedAt: new Date(),
    durationMs: 12,
  },
  { owner },
);
await store.addEvent({
  runId: run.id,
  step: 'triage',
  kind: 'model_call',
  data: { model: 'claude-haiku-4-5', attempt: 1 },
});
const usage = { inputTokens: 1000, outputTokens: 100, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
await store.addLedgerEntry({
  runId: run.id,
  step: 'triage',
  model: 'claude-haiku-4-5',
  ...usage,
  usd: priceUsage('claude-haiku-4-5', usage),
});

process.stdout.write(
  `${JSON.stringify({ url: store.statusUrl, runId: run.id, migrated: store.migrated })}\n`,
);
process.stdin.resume();
process.stdin.once('end', () => {
  store.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
});

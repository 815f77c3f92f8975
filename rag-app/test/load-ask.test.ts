/**
 * Load, from a second process (test/support/load-client.ts) against the real server on 127.0.0.1:
 * N concurrent visitors asking for a bounded time (p95 and errors recorded, no 5xx allowed), and
 * the daily cap and the per-IP rate exact under concurrency. `pnpm test` runs a few seconds with a
 * few users; `pnpm test:soak` (RAG_SOAK=1) a minute with more. Speed targets are not asserted here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { type RunningServer, runServer } from '../src/http/serve.ts';
import type { Rag } from '../src/rag.ts';
import { ROOT, soak } from './support/faults.ts';
import { openSliceRagOnBlank } from './support/pglite-templates.ts';
import {
  corpusBackedSources,
  KNOWN_QUESTION,
  manualClock,
  SLICE,
  tempDir,
  testConfig,
} from './support/server-harness.ts';

const run = promisify(execFile);

interface LoadResult {
  requests: number;
  byStatus: Record<string, number>;
  okPerUser: number[];
  errors: number;
  p50Ms: number;
  p95Ms: number;
}

/** Runs the load generator in its own process, one phase after another; returns what each measured. */
async function load(phases: Record<string, unknown>[]): Promise<LoadResult[]> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join('rag-app/test/support/load-client.ts'), JSON.stringify(phases)],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LoadResult);
}

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let rag: Rag;
const servers: RunningServer[] = [];
const tally = { requests: 0, errors: 0 };

async function serve(overrides: Partial<Config>) {
  const server = await runServer({ ...config, ...overrides }, rag, {
    sources: corpusBackedSources(),
    print: () => undefined,
    // One minute window and one day for the whole test: the counts below are exact, not timing-dependent.
    // Each server an hour after the last, so they share no window or bucket.
    clock: manualClock(new Date(Date.UTC(2026, 7, 1, servers.length))).clock,
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  tmp = tempDir('rag-load');
  config = testConfig(tmp.dir, { PORT: '0', HOST: '127.0.0.1', ALLOW_ANONYMOUS: '1' });
  rag = await openSliceRagOnBlank(config, SLICE.slice(0, 4));
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await rag?.close();
  tmp?.remove();
  console.info(`load-ask: ${JSON.stringify(tally)}`);
});

describe('under load from a second process', () => {
  const users = { burst: 6, timed: soak ? 32 : 6 };
  const seconds = soak ? 60 : 3;
  let results: LoadResult[];
  let timedServer: RunningServer;

  // One generator process runs the three phases, each against a server of its own configuration.
  beforeAll(
    async () => {
      const capped = await serve({ DAILY_MESSAGE_CAP: 3, IP_RATE_PER_MINUTE: 1_000_000 });
      const rated = await serve({ DAILY_MESSAGE_CAP: 1_000_000, IP_RATE_PER_MINUTE: 25 });
      timedServer = await serve({ DAILY_MESSAGE_CAP: 1_000_000, IP_RATE_PER_MINUTE: 1_000_000 });
      results = await load([
        {
          url: capped.url,
          mode: 'burst',
          users: users.burst,
          perUser: 7,
          path: '/api/ask',
          body: { question: KNOWN_QUESTION },
        },
        {
          url: rated.url,
          mode: 'burst',
          users: 4,
          perUser: 10,
          path: '/api/search',
          body: { query: 'piv loop' },
        },
        {
          url: timedServer.url,
          mode: 'timed',
          users: users.timed,
          seconds,
          path: '/api/ask',
          body: { question: KNOWN_QUESTION },
        },
      ]);
      for (const r of results) {
        tally.requests += r.requests;
        tally.errors += r.errors;
      }
    },
    soak ? 300_000 : 120_000,
  );

  it('keeps every visitor to the daily cap exactly, even when they all ask at once', () => {
    const r = results[0]!;
    expect(r.errors).toBe(0);
    expect(r.okPerUser).toEqual(Array(users.burst).fill(3));
    expect(r.byStatus).toEqual({ 200: users.burst * 3, 429: users.burst * 4 });
  });

  it('lets exactly IP_RATE_PER_MINUTE requests through from one address in a minute', () => {
    const r = results[1]!;
    expect(r.errors).toBe(0);
    expect(r.byStatus).toEqual({ 200: 25, 429: 15 });
  });

  it(`serves ${users.timed} visitors asking for ${seconds} s with no errors, and records p95`, async () => {
    const r = results[2]!;
    console.info(
      `load-ask timed: ${JSON.stringify({ users: users.timed, seconds, requests: r.requests, p50Ms: r.p50Ms, p95Ms: r.p95Ms, errors: r.errors, byStatus: r.byStatus })}`,
    );
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThanOrEqual(users.timed);
    expect(r.byStatus).toEqual({ 200: r.requests });
    expect(r.p95Ms).toBeGreaterThan(0);
    // The server is still whole afterwards.
    expect((await fetch(`${timedServer.url}/readyz`)).status).toBe(200);
  });
});

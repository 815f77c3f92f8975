/** The HTTP part of the benchmark: the real server on a free loopback port, hit with plain fetch. */
import path from 'node:path';
import { type Config, loadConfig } from '../src/config.ts';
import { runServer } from '../src/http/serve.ts';
import type { Rag } from '../src/rag.ts';
import { type Latency, rate, runLoad, summarize } from './measure.ts';

/** Retrieval settings taken from the caller's env; ANTHROPIC_* is not, so `ask` stays offline. */
const RETRIEVAL_ENV = /^(EMBEDDER|VECTOR_WEIGHT|EMBEDDINGS_\w+)$/;

/**
 * A server config that lets the benchmark through: anonymous asks, limits far above N requests,
 * a free port, state (forge) in `dataDir`.
 */
export function benchConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(
    {
      ...Object.fromEntries(Object.entries(env).filter(([k]) => RETRIEVAL_ENV.test(k))),
      DATA_DIR: dataDir,
      FORGE_DIR: path.join(dataDir, 'forge'),
      ALLOW_ANONYMOUS: '1',
      HOST: '127.0.0.1',
      PORT: '0',
      IP_RATE_PER_MINUTE: '1000000',
      DAILY_MESSAGE_CAP: '1000000',
      LOG_LEVEL: env.LOG_LEVEL,
    },
    dataDir,
  );
}

/** Posts JSON and reads the whole body; a non-2xx answer throws with its status and body. */
export async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 200)}`);
}

export interface HttpRun {
  route: '/api/ask' | '/api/search';
  concurrency: number;
  latency: Latency;
  /** Completed requests per second of wall time. */
  rps: number;
  errors: number;
  firstError: string | null;
}

export interface HttpPlan {
  queries: readonly string[];
  /** Requests per route and concurrency level. */
  n: number;
  concurrencies: readonly number[];
}

async function load(base: string, route: HttpRun['route'], concurrency: number, plan: HttpPlan) {
  const body = (q: string) => (route === '/api/ask' ? { question: q } : { query: q });
  const run = await runLoad(plan.n, concurrency, (i) =>
    postJson(`${base}${route}`, body(plan.queries[i % plan.queries.length]!)),
  );
  return {
    route,
    concurrency,
    latency: summarize(run.samplesMs),
    rps: rate(run.samplesMs.length, run.wallMs),
    errors: run.errors,
    firstError: run.firstError,
  };
}

/** Serves `rag` with `runServer` and measures both routes at each concurrency; the rag stays open. */
export async function benchHttp(config: Config, rag: Rag, plan: HttpPlan): Promise<HttpRun[]> {
  const server = await runServer(config, rag, { print: () => {} });
  try {
    // One request per route first, so no run measures the first request's lazy set-up.
    await postJson(`${server.url}/api/ask`, { question: plan.queries[0] });
    await postJson(`${server.url}/api/search`, { query: plan.queries[0] });
    const runs: HttpRun[] = [];
    for (const route of ['/api/search', '/api/ask'] as const) {
      for (const c of plan.concurrencies) runs.push(await load(server.url, route, c, plan));
    }
    return runs;
  } finally {
    await server.close();
  }
}

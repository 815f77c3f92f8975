/**
 * Shared pieces of the intake tests: the run store on PGlite (the real SQL, a copy of the migrated template),
 * a JobQueue that records what producers enqueue (the interface boundary: producers only
 * enqueue), the webhook sub-app served over real HTTP with @hono/node-server, and GitHub's
 * payloads signed as GitHub signs them (@octokit/webhooks).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Webhooks } from '@octokit/webhooks';
import type { Hono } from 'hono';
import pino from 'pino';
import { type Policy, PolicySchema } from '../../src/policy/schema.ts';
import type {
  DeadJob,
  EnqueueResult,
  IssueJob,
  JobHandler,
  JobQueue,
  PendingJob,
  WorkerHandle,
} from '../../src/queue/types.ts';
import { createSqlRunStore } from '../../src/runs/store.ts';
import type { RunStore } from '../../src/runs/types.ts';
import { openSeededDb } from './pglite-template.ts';

export const silent = pino({ level: 'silent' });

/** A run store of the test's own; close() removes it. */
export async function openTestStore(): Promise<RunStore> {
  return createSqlRunStore(await openSeededDb(), { logger: silent });
}

/** Records enqueued jobs; one job per issue until `settle(issue)`, as the real queues dedupe. */
export class RecordingQueue implements JobQueue {
  readonly jobs: (IssueJob & { jobId: string })[] = [];
  private readonly open = new Set<number>();
  /** Makes the next enqueue fail (a queue that is down). */
  failNext = false;

  async enqueue(job: IssueJob): Promise<EnqueueResult> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('queue unavailable (test)');
    }
    if (this.open.has(job.issue)) return { jobId: null, deduped: true };
    const jobId = randomUUID();
    this.open.add(job.issue);
    this.jobs.push({ ...job, jobId });
    return { jobId, deduped: false };
  }

  /** The job for `issue` ran: a later enqueue is a new job. */
  settle(issue: number): void {
    this.open.delete(issue);
  }

  async work(_handler: JobHandler): Promise<WorkerHandle> {
    throw new Error('the intake only enqueues');
  }

  async dead(): Promise<DeadJob[]> {
    return [];
  }

  async pending(): Promise<PendingJob[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export function testPolicy(overrides: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    protected: ['mission.md'],
    validate: [{ name: 'test', command: 'pnpm test' }],
    ...overrides,
  });
}

export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

/** The sub-app alone, over real HTTP on 127.0.0.1 (the factory's server mounts it at /webhooks/github). */
export async function serveApp(app: Hono): Promise<ServedApp> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export interface Delivery {
  event: string;
  payload: unknown;
  /** Default: a new GUID, as GitHub sends. */
  id?: string;
  /** The secret to sign with (default: the rig's); `null` sends no signature. */
  secret?: string | null;
  /** Sent as is instead of JSON.stringify(payload). */
  rawBody?: string;
  contentType?: string;
}

export interface DeliveryAnswer {
  status: number;
  body: Record<string, unknown>;
  id: string;
}

/** POSTs a delivery as GitHub does: JSON body, X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256. */
export async function deliver(url: string, secret: string, d: Delivery): Promise<DeliveryAnswer> {
  const id = d.id ?? randomUUID();
  const body = d.rawBody ?? JSON.stringify(d.payload);
  const key = d.secret === undefined ? secret : d.secret;
  const headers: Record<string, string> = {
    'content-type': d.contentType ?? 'application/json',
    'x-github-event': d.event,
    'x-github-delivery': id,
    'user-agent': 'GitHub-Hookshot/test',
  };
  if (key !== null) headers['x-hub-signature-256'] = await new Webhooks({ secret: key }).sign(body);
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, id };
}

const REPOSITORY = { full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' } };

export function user(login: string, type: 'User' | 'Bot' = login.endsWith('[bot]') ? 'Bot' : 'User') {
  return { login, id: 1, type };
}

export function issuePayload(
  action: string,
  issue: { number: number; labels?: string[]; state?: 'open' | 'closed'; author?: string; pull?: boolean },
  sender: string,
) {
  return {
    action,
    issue: {
      number: issue.number,
      title: `Issue ${issue.number}`,
      body: 'text',
      state: issue.state ?? 'open',
      labels: (issue.labels ?? []).map((name) => ({ id: 1, name })),
      user: user(issue.author ?? sender),
      ...(issue.pull ? { pull_request: { url: 'x' } } : {}),
    },
    repository: REPOSITORY,
    sender: user(sender),
  };
}

export function commentPayload(
  issue: number,
  body: string,
  sender: string,
  options: { pull?: boolean; action?: string; id?: number } = {},
) {
  return {
    action: options.action ?? 'created',
    issue: {
      number: issue,
      title: `Issue ${issue}`,
      state: 'open',
      labels: [],
      user: user('reporter'),
      ...(options.pull ? { pull_request: { url: 'x' } } : {}),
    },
    comment: {
      id: options.id ?? Math.floor(Math.random() * 1e9) + 1,
      body,
      user: user(sender),
      html_url: `https://github.com/acme/widgets/issues/${issue}#issuecomment-1`,
    },
    repository: REPOSITORY,
    sender: user(sender),
  };
}

export function pullRequestPayload(
  action: string,
  pull: { number: number; head: string; merged?: boolean },
  sender: string,
) {
  return {
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      merged: pull.merged ?? false,
      head: { ref: pull.head, sha: 'a'.repeat(40) },
    },
    repository: REPOSITORY,
    sender: user(sender),
  };
}

/**
 * Issue 9's test of the workers: three `pnpm factory worker` processes share one PostgreSQL
 * database (a database of this file's own: the run store's schema and the queue's). Ten issues are
 * enqueued; each is run exactly once. One worker is SIGKILLed while its run waits on the model
 * (the scripted server's answer is held by a proxy in front of it); after the lease expires the job
 * goes to another worker, which resumes that run. The runs are cheap: triage rejects each issue.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import { readBody, serveHttp } from '@dark-factory/kit/testing';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedJobQueue, openJobQueue } from '../src/queue/open.ts';
import { type OpenedRunStore, openRunStore } from '../src/runs/open.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../src/scripted/server.ts';
import { git } from '../src/workspace/git.ts';
import { REPO_ROOT } from './support/gate-fixture.ts';
import { scripted } from './support/scenario.ts';

const DATABASE_URL = process.env.DATABASE_URL?.trim() || undefined;
if (process.env.CI && !DATABASE_URL) {
  throw new Error('CI runs the three-worker test against PostgreSQL: DATABASE_URL must be set');
}

const ISSUES = 10;
const HELD = 1;
const LEASE_SECONDS = 10;
const silent = pino({ level: 'silent' });

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * In front of the scripted model server: holds the first triage request of issue HELD forever (the
 * worker that sent it is killed while it waits), forwards everything else, and counts requests.
 */
async function startHoldingProxy(target: string) {
  const seen: { step: string; issue: number }[] = [];
  let held = false;
  const server = await serveHttp(async (req, res) => {
    const body = await readBody(req);
    const step = String(req.headers['x-factory-step']);
    const issue = Number(req.headers['x-factory-issue']);
    seen.push({ step, issue });
    if (step === 'triage' && issue === HELD && !held) {
      held = true;
      return; // never answered
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    }
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body });
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  return { url: server.url, seen, isHolding: () => held, close: server.close };
}

describe.skipIf(!DATABASE_URL)('three worker processes on PostgreSQL', () => {
  const database = `queue_workers_${process.pid}`;
  const url = DATABASE_URL
    ? Object.assign(new URL(DATABASE_URL), { pathname: `/${database}` }).toString()
    : '';
  let root: string;
  let scriptedServer: ScriptedModelServer;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  let store: OpenedRunStore;
  let queue: OpenedJobQueue;
  let forge: LocalForge;
  const workers: { child: ChildProcess; log: string[] }[] = [];

  beforeAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database}`);
    await admin(`CREATE DATABASE ${database}`);
    root = await mkdtemp(path.join(tmpdir(), 'factory-workers-'));
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    await git(repo, ['init', '-q', '-b', 'main']);
    await writeFile(
      path.join(repo, 'mission.md'),
      [
        '---',
        'version: 1',
        'protected: [mission.md]',
        'validate:',
        '  - { name: noop, command: "true" }',
        '---',
        '# Mission',
        '',
        'A repository for the workers test: every issue is rejected at triage.',
        '',
      ].join('\n'),
    );
    await git(repo, ['add', '.']);
    await git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'mission']);
    forge = new LocalForge({ dir: path.join(root, 'forge'), logger: silent });
    for (let i = 1; i <= ISSUES; i++) {
      // One author per issue: the per-author daily triage cap is not what this test is about.
      await forge.createIssue({ title: `Issue ${i}`, body: 'Out of scope.', author: `author-${i}` });
    }
    scriptedServer = await startScriptedModelServer({
      scenario: { responses: Array.from({ length: ISSUES }, (_, i) => scripted.triage(i + 1, 'reject')) },
    });
    proxy = await startHoldingProxy(scriptedServer.url);
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: process.env.LANG,
      INIT_CWD: repo,
      DATABASE_URL: url,
      FORGE_DIR: path.join(root, 'forge'),
      DATA_DIR: path.join(root, 'data'),
      ANTHROPIC_API_KEY: 'scripted-test-key',
      ANTHROPIC_BASE_URL: proxy.url,
      FACTORY_STREAM: '0',
      FACTORY_MODEL_RETRIES: '0',
      FACTORY_LEASE_SECONDS: String(LEASE_SECONDS),
      FACTORY_JOB_RETRY_DELAY_SECONDS: '1',
      FACTORY_JOB_RETRY_DELAY_MAX_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < 3; i++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(REPO_ROOT, 'factory/src/cli/main.ts'), 'worker', '--repo', repo],
        { cwd: REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const log: string[] = [];
      child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
      workers.push({ child, log });
    }
    await Promise.all(
      workers.map((w, i) =>
        waitFor(
          `worker ${i} ready`,
          () => {
            if (w.child.exitCode !== null) throw new Error(`worker ${i} exited:\n${w.log.join('')}`);
            return w.log.join('').includes('"msg":"worker ready"') ? true : undefined;
          },
          90_000,
        ),
      ),
    );
    store = await openRunStore({ databaseUrl: url, dataDir: path.join(root, 'data'), logger: silent });
    queue = await openJobQueue({
      databaseUrl: url,
      dir: path.join(root, 'queue'),
      settings: {
        leaseSeconds: LEASE_SECONDS,
        retryLimit: 3,
        retryDelaySeconds: 1,
        retryDelayMaxSeconds: 1,
        expireSeconds: 600,
      },
      logger: silent,
    });
  }, 180_000);

  afterAll(async () => {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await queue?.close();
    await store?.close();
    await proxy?.close();
    await scriptedServer?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('runs each of ten issues exactly once, and hands a killed worker’s job to another', async () => {
    for (let i = 1; i <= ISSUES; i++) {
      expect((await queue.enqueue({ issue: i, reason: 'opened', source: 'test' })).deduped).toBe(false);
    }
    // A duplicate delivery while the jobs are queued or running adds nothing.
    expect((await queue.enqueue({ issue: 2, reason: 'opened', source: 'test' })).deduped).toBe(true);

    // The worker holding issue HELD waits on the model: kill it (its pid is in the run's lease owner).
    await waitFor('the held triage request', () => (proxy.isHolding() ? true : undefined), 60_000);
    const heldRun = await waitFor('the held run', () => store.activeRun(HELD), 10_000);
    const killedOwner = heldRun.leaseOwner ?? '';
    const pid = Number(killedOwner.split(':')[1]);
    const victim = workers.find((w) => w.child.pid === pid);
    expect(victim, `lease owner ${killedOwner} is one of the workers`).toBeDefined();
    victim?.child.kill('SIGKILL');
    await once(victim?.child as ChildProcess, 'exit');

    const finished = await waitFor(
      'all ten runs finished',
      async () => {
        const runs = await store.listRuns({ limit: 100 });
        return runs.filter((r) => r.state !== 'running').length === ISSUES ? runs : undefined;
      },
      120_000,
    );

    // Exactly one run per issue, each decided by triage.
    expect(finished.map((r) => r.issue).sort((a, b) => a - b)).toEqual(
      Array.from({ length: ISSUES }, (_, i) => i + 1),
    );
    for (const run of finished) expect([run.state, run.stopReason]).toEqual(['rejected', 'triage_rejected']);
    const triageSteps = await Promise.all(
      finished.map(async (r) => (await store.steps(r.id)).map((s) => s.name)),
    );
    for (const names of triageSteps) expect(names.filter((n) => n === 'triage')).toHaveLength(1);

    // The killed worker's run was taken over (its lease had expired) and finished by another worker.
    const held = finished.find((r) => r.issue === HELD);
    const takeover = (await store.events(held?.id ?? ''))
      .map((e) => e.data as { event?: string; from?: string; to?: string })
      .find((d) => d.event === 'lease_takeover');
    expect(takeover?.from).toBe(killedOwner);
    expect(takeover?.to).not.toBe(killedOwner);
    expect(held?.leaseOwner).toBe(takeover?.to);
    // The work was shared: more than one worker finished runs.
    expect(new Set(finished.map((r) => r.leaseOwner)).size).toBeGreaterThan(1);

    // The model: one triage per issue, plus the held one asked again by the worker that resumed it.
    const triage = (issue: number) =>
      proxy.seen.filter((s) => s.step === 'triage' && s.issue === issue).length;
    for (let i = 1; i <= ISSUES; i++) expect(triage(i), `triage requests for #${i}`).toBe(i === HELD ? 2 : 1);
    expect(scriptedServer.remaining()).toEqual([]);

    // Nothing left in the queue, nothing dead; the forge shows every decision.
    await waitFor(
      'the queue drained',
      async () => ((await queue.pending()).length === 0 ? true : undefined),
      10_000,
    );
    expect(await queue.dead()).toEqual([]);
    for (let i = 1; i <= ISSUES; i++) expect((await forge.getIssue(i)).labels).toContain('factory:rejected');

    // SIGTERM: the surviving workers stop cleanly.
    const survivors = workers.filter((w) => w !== victim);
    for (const w of survivors) w.child.kill('SIGTERM');
    const codes = await Promise.all(survivors.map(async (w) => (await once(w.child, 'exit'))[0]));
    expect(codes).toEqual([0, 0]);
  }, 240_000);
});

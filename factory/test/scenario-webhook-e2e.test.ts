/**
 * Issue 9's end-to-end path, on the embedded default (PGlite queue and store, no DATABASE_URL):
 * GitHub (the fake REST server, whose git side is a bare repository that is also the clone's
 * `origin`) delivers a signed `issues.opened` to `pnpm factory serve` (a real process with
 * FACTORY_WEBHOOK_SECRET) → the job is queued → serve stops (the embedded queue and store have one
 * owner, as in factory.yml: intake, then one worker pass) → `worker --once` runs the pipeline with
 * the scripted model → the PR is opened, validated, squash-merged on the remote, the issue closed
 * with the merge decision's evidence → the watch page shows the run, its PR and the merge.
 *
 * The gate's report is commented on the PR (asserted through the fake GitHub's recorded comments).
 * The rig validates cheaply, without the evals gate: the gate on a corpus slice is scenario (a)'s
 * (≈ 40 s idle: a judge worktree with its own install, main and the candidate each ingested, served
 * and judged), far over this file's budget; the report and the decision's `evals gate` check say
 * it is not configured, and steps.test.ts checks the comment with a gate's report in it.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { GitHubForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import { PGlite } from '@electric-sql/pglite';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_SCHEMA } from '../src/queue/settings.ts';
import { type RunningServer, startFactoryServer } from '../src/server/start.ts';
import type { RunRow, RunTimeline } from '../src/watch/timeline.ts';
import { git } from '../src/workspace/git.ts';
import { deliver, issuePayload } from './support/intake-rig.ts';
import { CHEAP_VALIDATE, helpTextFix, makeRig, type ScenarioRig, seedQueue } from './support/scenario.ts';

const SECRET = 'whsec-e2e-0123456789abcdef';
const TOKEN = 'ghs_factorytoken0123456789abcdef';
const REPORTER = 'ghp_reportertoken0123456789abcdef';
const silent = pino({ level: 'silent' });

let gh: GitHubServer;
let rig: ScenarioRig;
let bare: string;
let queueDir: string;
let serveProcess: ChildProcess | undefined;
let watch: RunningServer | undefined;

/** `pnpm factory serve --port 0` as a process; resolves with its URL once it listens. */
async function startServe(): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = rig.spawnCli(['serve', '--port', '0']);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /watch the factory on (http:\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
  });
  return { url, child, stderr: () => stderr };
}

async function stopServe(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

beforeAll(async () => {
  // The repository's git side: the clone's origin, and where the fake GitHub writes its merges.
  bare = path.join(await mkdtemp(path.join(tmpdir(), 'factory-e2e-origin-')), 'origin.git');
  await git(tmpdir(), ['init', '--bare', '-q', '-b', 'main', bare]);
  gh = await startGitHubServer({
    token: TOKEN,
    owner: 'acme',
    repo: 'dark-factory',
    login: 'dark-factory[bot]',
    tokens: { [REPORTER]: 'reporter' },
    collaborators: { reporter: 'read' },
    gitDir: bare,
  });
  rig = await makeRig({
    policy: {
      validate: CHEAP_VALIDATE,
      gate: undefined,
      merge: { method: 'squash', dailyCap: 10, verifyAfterMerge: false },
    },
    issues: [],
    env: {
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'acme/dark-factory',
      GITHUB_API_URL: gh.url,
      FACTORY_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    },
    scenario: { responses: helpTextFix(1) },
  });
  queueDir = path.join(rig.root, 'queue');
  rig.env.FACTORY_QUEUE_DIR = queueDir;
  // The embedded queue as pg-boss leaves it on first open (a copy of the template: PGlite's initdb
  // would cost serve 10–40 s; pg-boss creating its schema from nothing is queue-unit.test's).
  await seedQueue(queueDir);
  await git(rig.repoDir, ['remote', 'add', 'origin', bare]);
  await git(rig.repoDir, ['push', '-q', 'origin', 'main']);
  const reporter = new GitHubForge({
    token: REPORTER,
    repository: 'acme/dark-factory',
    baseUrl: gh.url,
    logger: silent,
  });
  await reporter.createIssue({ title: 'Search help says hybrid', body: 'The default is BM25 only.' });
}, 300_000);

afterAll(async () => {
  if (serveProcess) await stopServe(serveProcess).catch(() => undefined);
  await watch?.close();
  await rig?.close();
  await gh?.close();
});

describe('a signed webhook to a merged PR on the watch page (embedded queue and store)', () => {
  let delivery: { id: string; jobId: string };

  it('serve takes a signed issues.opened and queues it; a wrongly signed one queues nothing', async () => {
    const serve = await startServe();
    serveProcess = serve.child;
    const hook = `${serve.url}/webhooks/github`;
    const forged = await deliver(hook, SECRET, {
      event: 'issues',
      payload: repositoryOf(issuePayload('opened', { number: 1 }, 'reporter')),
      secret: 'not-the-webhook-secret',
    });
    expect(forged.status).toBe(401);

    const signed = await deliver(hook, SECRET, {
      event: 'issues',
      payload: repositoryOf(issuePayload('opened', { number: 1 }, 'reporter')),
    });
    expect(signed.status, JSON.stringify(signed.body)).toBe(202);
    expect(signed.body).toMatchObject({ delivery: signed.id, outcome: 'enqueued', issue: 1 });
    expect(signed.body.jobId).toEqual(expect.any(String));
    delivery = { id: signed.id, jobId: signed.body.jobId as string };

    // The embedded queue and store have one owner: serve lets them go on SIGTERM.
    expect(await stopServe(serve.child), serve.stderr()).toBe(0);
    serveProcess = undefined;

    // Exactly one job: the signed delivery's; the forged one left nothing behind.
    const jobs = await rig.cli(['jobs', '--json']);
    expect(jobs.code, jobs.stderr).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual([
      expect.objectContaining({
        jobId: delivery.jobId,
        state: 'queued',
        job: { issue: 1, reason: 'opened', source: `webhook:${delivery.id}` },
      }),
    ]);
  }, 300_000);

  it('a worker pass runs the pipeline: PR opened, squash-merged on the remote, the issue closed with the evidence', async () => {
    const worker = await rig.cli(['worker', '--once']);
    expect(worker.code, worker.stderr).toBe(0);

    const pull = gh.state.pulls.get(2);
    expect(pull?.head).toMatch(/^factory\/1-search-help-says-hybrid/);
    expect(pull?.mergeMethod).toBe('squash');
    expect(pull?.mergedAt).not.toBeNull();
    const prBody = gh.state.issues.get(2)?.body ?? '';
    expect(prBody).toContain('Fixes #1');
    expect(prBody).toMatch(/## Validation\n- `lint`: exit 0/);
    expect(prBody).toContain('## Evals gate');

    // The squash is on main of the remote: one commit over the old main, the fix and the trailer.
    const remoteMain = (await git(rig.repoDir, ['--git-dir', bare, 'rev-parse', 'main'])).stdout.trim();
    expect(pull?.mergeCommitSha).toBe(remoteMain);
    const parents = (await git(rig.repoDir, ['--git-dir', bare, 'rev-list', '--parents', '-1', 'main']))
      .stdout;
    expect(parents.trim().split(' ')).toEqual([remoteMain, rig.baseBefore]);
    const message = (await git(rig.repoDir, ['--git-dir', bare, 'log', '-1', '--format=%B', 'main'])).stdout;
    expect(message).toContain('(#2)');
    expect(message).toContain('Fixes #1');
    const runId = /Factory-Run: (\S+)/.exec(message)?.[1];
    expect(runId).toBeDefined();
    const files = (
      await git(rig.repoDir, ['--git-dir', bare, 'show', '--name-only', '--format=', 'main'])
    ).stdout.trim();
    expect(files).toBe('rag-app/src/cli/main.ts');

    // The gate's report, commented on the PR by the factory's account before the merge: one comment,
    // naming the run, with each validation round's commands and the gate's verdict.
    const onPull = gh.state.comments.filter((c) => c.issueNumber === 2);
    expect(onPull.map((c) => c.user)).toEqual(['dark-factory[bot]']);
    const [gateComment] = onPull;
    expect(Date.parse(gateComment?.createdAt ?? '')).toBeLessThanOrEqual(Date.parse(pull?.mergedAt ?? ''));
    const report = gateComment?.body ?? '';
    expect(report).toContain(`<!-- dark-factory:gate-report run=${runId} -->`);
    expect(report).toContain(`**dark-factory gate** (run \`${runId}\`): no evals gate configured`);
    expect(report).toMatch(/^\| `validate` \| `lint` exit 0 \| not configured \| not configured \|$/m);
    expect(report).toContain('mission.md on the base branch has no `gate`');
    expect(report).not.toContain(TOKEN);

    // The issue: triaged, closed and labelled, with the merge decision's evidence.
    const issue = gh.state.issues.get(1);
    expect(issue?.state).toBe('closed');
    expect(issue?.labels).toEqual(expect.arrayContaining(['factory:accepted', 'factory:merged']));
    const comments = gh.state.comments.filter((c) => c.issueNumber === 1).map((c) => c.body);
    expect(comments.some((b) => b.includes('dark-factory triage'))).toBe(true);
    const evidence = comments.find((b) => b.includes(`run \`${runId}\`: merged`));
    expect(evidence, comments.join('\n---\n')).toMatch(
      new RegExp(
        `Merged #2 into the base branch as ${remoteMain.slice(0, 12)}; every gate passed \\(.*validation.*evals gate.*review`,
      ),
    );
    expect(rig.server.remaining()).toEqual([]);

    // The job is done: nothing pending, nothing dead, and pg-boss recorded it completed.
    const pending = await rig.cli(['jobs', '--json']);
    expect(JSON.parse(pending.stdout)).toEqual([]);
    const dead = await rig.cli(['jobs', '--dead', '--json']);
    expect(JSON.parse(dead.stdout)).toEqual([]);
    const db = await PGlite.create({ dataDir: path.join(queueDir, 'pgdata') });
    try {
      const { rows } = await db.query<{ state: string }>(
        `SELECT state FROM ${DEFAULT_QUEUE_SCHEMA}.job WHERE id = $1`,
        [delivery.jobId],
      );
      expect(rows).toEqual([{ state: 'completed' }]);
    } finally {
      await db.close();
    }
  }, 300_000);

  it('the watch page shows the run as merged, with its PR and the merge decision', async () => {
    watch = await startFactoryServer({
      host: '127.0.0.1',
      port: 0,
      env: { PATH: process.env.PATH },
      storeDir: path.join(rig.root, 'store'),
      repo: rig.repoDir,
      base: 'main',
      forge: null,
      logger: silent,
    });
    const base = watch.url;
    const { runs } = (await (await fetch(`${base}/api/runs`)).json()) as { runs: RunRow[] };
    expect(runs).toHaveLength(1);
    const [row] = runs;
    expect(row).toMatchObject({ issue: 1, status: 'merged', stopReason: 'merged', pr: 2, live: false });

    const timeline = (await (await fetch(`${base}/api/runs/${row?.runId}`)).json()) as RunTimeline;
    expect(timeline.run).toMatchObject({ status: 'merged', pr: 2 });
    const merge = timeline.steps.find((s) => s.name === 'merge');
    expect(merge?.status).toBe('ok');
    const detail = merge?.detail as Extract<RunTimeline['steps'][number]['detail'], { kind: 'merge' }>;
    expect(detail).toMatchObject({
      kind: 'merge',
      merge: true,
      pr: 2,
      via: 'github',
      mergedSha: gh.state.pulls.get(2)?.mergeCommitSha,
    });
    expect(detail.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['validation', 'evals gate', 'review']),
    );
    expect(detail.checks.every((c) => c.ok)).toBe(true);
    expect(detail.checks.find((c) => c.name === 'evals gate')?.detail).toBe('no gate configured');

    const { merges } = (await (await fetch(`${base}/api/merges`)).json()) as {
      merges: { runId: string; pr: number | null; mergedSha: string | null }[];
    };
    expect(merges).toEqual([
      expect.objectContaining({ runId: row?.runId, pr: 2, mergedSha: detail.mergedSha }),
    ]);

    // The pages a person opens say the same.
    const list = await (await fetch(`${base}/`)).text();
    expect(list).toContain(`/runs/${row?.runId}`);
    expect(list).toContain('merged');
    const page = await fetch(`${base}/runs/${row?.runId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Search help says hybrid');
    expect(html).toContain('#2');
    expect(html).toContain('evals gate');
    expect(html).toContain(String(detail.mergedSha).slice(0, 12));
  }, 120_000);
});

/** The payload as GitHub sends it for this repository (the intake rig's default is acme/widgets). */
function repositoryOf<T extends { repository: unknown }>(payload: T): T {
  return {
    ...payload,
    repository: { full_name: 'acme/dark-factory', name: 'dark-factory', owner: { login: 'acme' } },
  };
}

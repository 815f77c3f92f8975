/**
 * The GitHub webhook: real HTTP (@hono/node-server) into the sub-app, payloads signed as GitHub
 * signs them, the run store's real SQL (PGlite), GitHub itself played by the fake REST server
 * through Octokit. Producers only enqueue: the queue here records what was enqueued.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitHubForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EngineDeps } from '../src/engine/deps.ts';
import { resumeRun, runIssue } from '../src/engine/run-issue.ts';
import { FactoryError } from '../src/errors.ts';
import { parseCommand } from '../src/intake/commands.ts';
import { createWebhookRoutes } from '../src/intake/webhook.ts';
import { AnthropicModelClient } from '../src/model/client.ts';
import { DEFAULT_MODELS } from '../src/model/types.ts';
import type { RunStore } from '../src/runs/types.ts';
import type { ScenarioResponse } from '../src/scripted/scenario.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../src/scripted/server.ts';
import { git } from '../src/workspace/git.ts';
import {
  commentPayload,
  deliver,
  issuePayload,
  openTestStore,
  pullRequestPayload,
  RecordingQueue,
  type ServedApp,
  serveApp,
  silent,
  testPolicy,
} from './support/intake-rig.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const TOKEN = 'ghs_factory0123456789abcdefghij';

let gh: GitHubServer;
let store: RunStore;
let queue: RecordingQueue;
let served: ServedApp;
let small: ServedApp;
const send = (d: Parameters<typeof deliver>[2]) => deliver(served.url, SECRET, d);

beforeAll(async () => {
  gh = await startGitHubServer({ token: TOKEN, owner: 'acme', repo: 'widgets', login: 'dark-factory' });
  store = await openTestStore();
  queue = new RecordingQueue();
  const deps = {
    secret: SECRET,
    queue,
    forge: new GitHubForge({ token: TOKEN, repository: 'acme/widgets', baseUrl: gh.url, logger: silent }),
    policy: testPolicy(),
    store,
    logger: silent,
  };
  served = await serveApp(createWebhookRoutes(deps));
  small = await serveApp(createWebhookRoutes({ ...deps, maxBodyBytes: 4096 }));
});

afterAll(async () => {
  await served?.close();
  await small?.close();
  await store?.close();
  await gh?.close();
});

beforeEach(() => {
  queue.jobs.length = 0;
  for (let n = 1; n < 100; n++) queue.settle(n);
});

describe('signatures', () => {
  it('takes a correctly signed new issue: 202, enqueued for triage, the delivery recorded', async () => {
    const res = await send({ event: 'issues', payload: issuePayload('opened', { number: 1 }, 'reporter') });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ delivery: res.id, outcome: 'enqueued', issue: 1 });
    expect(queue.jobs).toEqual([
      { issue: 1, reason: 'opened', source: `webhook:${res.id}`, jobId: expect.any(String) },
    ]);
    // What was done with it is on record, for the operator.
    const delivery = await store.getDelivery(res.id);
    expect(delivery).toMatchObject({ source: 'webhook', event: 'issues', action: 'opened' });
    expect(delivery?.outcome).toMatch(/^enqueued: #1 queued/);
  });

  it('refuses a wrong signature, a missing one and an altered body with 401, and records nothing', async () => {
    const payload = issuePayload('opened', { number: 2 }, 'reporter');
    const wrong = await send({ event: 'issues', payload, secret: 'another-secret-entirely' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/does not match/);
    const missing = await send({ event: 'issues', payload, secret: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/X-Hub-Signature-256 is missing/);
    // Signed for one body, sent with another.
    const signedFor = JSON.stringify(payload);
    const { Webhooks } = await import('@octokit/webhooks');
    const signature = await new Webhooks({ secret: SECRET }).sign(signedFor);
    const altered = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': 'altered-1',
        'x-hub-signature-256': signature,
      },
      body: signedFor.replace('"number":2', '"number":3'),
    });
    expect(altered.status).toBe(401);
    expect(queue.jobs).toEqual([]);
    expect(await store.getDelivery(wrong.id)).toBeUndefined();
    expect(await store.getDelivery('altered-1')).toBeUndefined();
  });

  it('refuses a replayed delivery (same id, same signed body) with 409: enqueued once', async () => {
    const payload = issuePayload('opened', { number: 4 }, 'reporter');
    const first = await send({ event: 'issues', payload });
    expect(first.status).toBe(202);
    queue.settle(4); // even when the first job is done, the replay is not taken
    const replay = await send({ event: 'issues', payload, id: first.id });
    expect(replay.status).toBe(409);
    expect(replay.body.error).toMatch(/received before/);
    expect(queue.jobs.filter((j) => j.issue === 4)).toHaveLength(1);
  });
});

describe('bad input gets a 4xx naming what was wrong, never a 5xx', () => {
  it('malformed JSON, a payload missing fields, a wrong content type, missing headers', async () => {
    const badJson = await send({ event: 'issues', payload: null, rawBody: '{"action": "opened", "issue": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/not JSON/);

    const { issue: _drop, ...noIssue } = issuePayload('opened', { number: 5 }, 'reporter');
    const missing = await send({ event: 'issues', payload: noIssue });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/issues payload: .*issue/);

    const badNumber = await send({
      event: 'issue_comment',
      payload: { ...commentPayload(5, 'hi', 'x'), comment: { id: -1 } },
    });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.error).toMatch(/comment\.id/);

    const form = await send({
      event: 'issues',
      payload: null,
      rawBody: `payload=${encodeURIComponent(JSON.stringify(issuePayload('opened', { number: 5 }, 'r')))}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);

    const body = JSON.stringify(issuePayload('opened', { number: 5 }, 'reporter'));
    const { Webhooks } = await import('@octokit/webhooks');
    const noEvent = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await new Webhooks({ secret: SECRET }).sign(body),
      },
      body,
    });
    expect(noEvent.status).toBe(400);
    expect(((await noEvent.json()) as { error: string }).error).toMatch(/X-GitHub-Event/);
    expect((await fetch(served.url)).status).toBe(405);
    expect(queue.jobs).toEqual([]);
  });

  it('an oversized body gets 413, with a length header or streamed without one', async () => {
    const big = issuePayload('opened', { number: 6 }, 'reporter');
    const padded = { ...big, issue: { ...big.issue, body: 'x'.repeat(10_000) } };
    const res = await deliver(small.url, SECRET, { event: 'issues', payload: padded });
    expect(res.status).toBe(413);
    const chunks = ['{"action":"opened","pad":"', 'y'.repeat(8000), '"}'];
    const streamed = await fetch(small.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': 'big-2',
        'x-hub-signature-256': 'sha256=00',
      },
      body: new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(queue.jobs).toEqual([]);
  });

  it('an event the factory does not handle is acknowledged and ignored; ping answers', async () => {
    const push = await send({
      event: 'push',
      payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/widgets' } },
    });
    expect(push.status).toBe(202);
    expect(push.body).toMatchObject({ outcome: 'ignored' });
    expect(String(push.body.detail)).toMatch(/does not handle "push"/);
    const ping = await send({ event: 'ping', payload: { zen: 'Keep it logically awesome.', hook_id: 1 } });
    expect(ping.status).toBe(200);
    expect(queue.jobs).toEqual([]);
  });
});

describe('who triggers what', () => {
  it('ignores bots, the factory itself and other repositories; labelled or closed issues are not re-triaged', async () => {
    const cases = [
      issuePayload('opened', { number: 7 }, 'dependabot[bot]'),
      issuePayload('opened', { number: 8 }, 'dark-factory'), // the token's own login, typed User
      { ...issuePayload('opened', { number: 9 }, 'reporter'), repository: { full_name: 'acme/other' } },
      issuePayload('edited', { number: 10, labels: ['factory:rejected'] }, 'reporter'),
      issuePayload('reopened', { number: 11, state: 'closed' }, 'reporter'),
      issuePayload('labeled', { number: 12 }, 'reporter'),
    ];
    const details: string[] = [];
    for (const payload of cases) {
      const res = await send({ event: 'issues', payload });
      expect(res.status).toBe(202);
      expect(res.body.outcome).toBe('ignored');
      details.push(String(res.body.detail));
    }
    expect(details).toEqual([
      '@dependabot[bot] is a bot',
      "@dark-factory is the factory's own account",
      'the delivery is for acme/other; this factory serves acme/widgets',
      '#10 was already taken by the factory (factory:rejected); `/factory retry` takes it again',
      '#11 is closed',
      'issues.labeled does not trigger the factory',
    ]);
    expect(queue.jobs).toEqual([]);
    expect(gh.state.comments).toEqual([]); // nobody is answered
  });

  it('an edit or a reopen of an unlabelled open issue triages it; a second job for it is deduped', async () => {
    const edited = await send({
      event: 'issues',
      payload: issuePayload('edited', { number: 13 }, 'reporter'),
    });
    expect(edited.body).toMatchObject({ outcome: 'enqueued', issue: 13 });
    const reopened = await send({
      event: 'issues',
      payload: issuePayload('reopened', { number: 13 }, 'reporter'),
    });
    expect(reopened.body).toMatchObject({ outcome: 'deduped', issue: 13 });
    expect(queue.jobs.map((j) => [j.issue, j.reason])).toEqual([[13, 'edited']]);
  });

  it("a failure of the factory's own queue is a 503 and the delivery is forgotten, so the redelivery is taken", async () => {
    const payload = issuePayload('opened', { number: 14 }, 'reporter');
    queue.failNext = true;
    const failed = await send({ event: 'issues', payload });
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatch(/queue unavailable.*redelivery/);
    const redelivered = await send({ event: 'issues', payload, id: failed.id });
    expect(redelivered.status).toBe(202);
    expect(queue.jobs.map((j) => j.issue)).toEqual([14]);
  });

  it('refuses to start without a secret', () => {
    expect(() =>
      createWebhookRoutes({
        secret: '',
        queue,
        forge: {} as never,
        policy: testPolicy(),
        store,
        logger: silent,
      }),
    ).toThrow(FactoryError);
  });
});

describe('comment commands', () => {
  const REPORTER = 'ghp_reporter0123456789abcdefghij';
  let reporter: GitHubForge;
  let factoryForge: GitHubForge;
  let model: ScriptedModelServer;
  let engine: EngineDeps;
  let root: string;
  const comments = (issue: number) => gh.state.comments.filter((c) => c.issueNumber === issue);
  const factoryReplies = (issue: number) =>
    comments(issue)
      .filter((c) => c.user === 'dark-factory')
      .map((c) => c.body);
  const command = (issue: number, body: string, sender: string, pull = false) =>
    send({ event: 'issue_comment', payload: commentPayload(issue, body, sender, { pull }) });

  beforeAll(async () => {
    gh.state.tokens.set(REPORTER, 'reporter');
    gh.state.collaborators.set('maintainer', 'write');
    gh.state.collaborators.set('reader', 'read');
    reporter = new GitHubForge({
      token: REPORTER,
      repository: 'acme/widgets',
      baseUrl: gh.url,
      logger: silent,
    });
    factoryForge = new GitHubForge({
      token: TOKEN,
      repository: 'acme/widgets',
      baseUrl: gh.url,
      logger: silent,
    });
    root = await mkdtemp(path.join(tmpdir(), 'intake-commands-'));
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    await git(repo, ['init', '-q', '-b', 'main']);
    await writeFile(path.join(repo, 'mission.md'), MISSION);
    await git(repo, ['add', 'mission.md']);
    await git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'mission']);
    model = await startScriptedModelServer({
      scenario: { responses: [1, 2, 3, 4, 5, 6].map((issue) => triageAccept(issue)) },
    });
    engine = {
      forge: factoryForge,
      store,
      createModel: (hooks) =>
        new AnthropicModelClient({
          apiKey: 'scripted-key',
          baseURL: model.url,
          stream: false,
          maxRetries: 0,
          budget: hooks.budget,
          onAttempt: hooks.onAttempt,
          onUsage: hooks.onUsage,
        }),
      models: DEFAULT_MODELS,
      repo,
      base: 'main',
      workDir: path.join(root, 'work'),
      env: {},
      logger: silent,
      progress: () => {},
      owner: 'intake-test-worker',
      leaseTtlMs: 60_000,
    };
  });

  afterAll(async () => {
    await model?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses a non-collaborator and a read-only collaborator, saying why; ignores bots and itself', async () => {
    const issue = await reporter.createIssue({
      title: 'Wrong video cited',
      body: 'The answer cites the wrong video.',
    });
    const n = issue.number;
    const stranger = await command(n, '/factory retry', 'stranger');
    expect(stranger.body).toMatchObject({ outcome: 'refused', command: '/factory retry', replied: true });
    const reader = await command(n, 'Could you try again?\n/factory retry', 'reader');
    expect(reader.body).toMatchObject({ outcome: 'refused' });
    expect(factoryReplies(n)).toEqual([
      '**dark-factory**: @stranger `/factory retry` was refused: it needs write access to this repository, and yours is none. Ask a maintainer.',
      '**dark-factory**: @reader `/factory retry` was refused: it needs write access to this repository, and yours is read. Ask a maintainer.',
    ]);
    // Access was asked of GitHub for each commenter, not read from the comment.
    const asked = gh.state.requests.filter((r) => r.path.endsWith('/permission')).map((r) => r.path);
    expect(asked).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/collaborators/stranger/'),
        expect.stringContaining('/collaborators/reader/'),
      ]),
    );

    const before = gh.state.requests.length;
    const bot = await command(n, '/factory retry', 'ci-helper[bot]');
    const self = await command(n, 'Triage said:\n\n/factory stop', 'dark-factory');
    expect([bot.body.outcome, self.body.outcome]).toEqual(['ignored', 'ignored']);
    expect(String(self.body.detail)).toMatch(/factory's own account/);
    // Neither was answered nor even looked up (a bot answered by the factory could loop).
    expect(
      gh.state.requests.slice(before).filter((r) => r.method !== 'GET' || r.path.includes('/permission')),
    ).toEqual([]);
    expect(factoryReplies(n)).toHaveLength(2);
    // A quoted or fenced command is someone else's words, not a command.
    const quoted = await command(n, '> /factory stop\n```\n/factory stop\n```', 'maintainer');
    expect(quoted.body).toMatchObject({
      outcome: 'ignored',
      detail: 'the comment holds no /factory command',
    });
    expect(queue.jobs).toEqual([]);
  });

  it("a collaborator's /factory stop stops a running run before its next step", async () => {
    const issue = await reporter.createIssue({
      title: 'Fix the search help',
      body: 'It says hybrid; it is BM25.',
    });
    const n = issue.number;
    const nothing = await command(n, '/factory stop', 'maintainer');
    expect(nothing.body).toMatchObject({ outcome: 'refused' });
    expect(factoryReplies(n).at(-1)).toMatch(/no run of #\d+ is in progress, so there is nothing to stop/);

    // Triaged and accepted, waiting for its next step (as `pnpm factory triage` leaves it).
    const paused = await runIssue(engine, { issue: n, triageOnly: true });
    expect(paused.status).toBe('running');
    expect(gh.state.issues.get(n)?.labels).toContain('factory:accepted');
    const stop = await command(n, '/factory stop', 'maintainer');
    expect(stop.status).toBe(202);
    expect(stop.body).toMatchObject({ outcome: 'done', issue: n });
    expect(factoryReplies(n).at(-1)).toMatch(
      new RegExp(
        `stopping run \`${paused.runId}\` of #${n}: it ends before its next step \\(the last finished step is \`triage\`\\)`,
      ),
    );
    const again = await command(n, '/factory stop', 'maintainer');
    expect(factoryReplies(n).at(-1)).toMatch(/was already asked to stop by @maintainer/);
    expect(again.body.outcome).toBe('done');

    const report = await resumeRun(engine, paused.runId, { waitMs: 0 });
    expect(report.status).toBe('needs-human');
    expect(report.stopReason).toBe('stopped');
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'intake:ok',
      'triage:ok',
      'plan:refused',
    ]);
    // The plan was never asked for: the stop came first.
    expect(model.requests.filter((r) => r.step === 'plan' && r.issue === n)).toEqual([]);
    expect(gh.state.issues.get(n)?.labels).toContain('factory:stopped');
    expect(comments(n).at(-1)?.body).toMatch(/stopped at the request of @maintainer/);

    // explain: the status and why, from the stored steps.
    await command(n, '/factory explain', 'maintainer');
    const explained = factoryReplies(n).at(-1) ?? '';
    expect(explained).toContain(
      `run \`${paused.runId}\` for #${n}: **needs-human (\`stopped\`, label \`factory:stopped\`)**`,
    );
    expect(explained).toContain('| `plan` | refused | stopped |');
    expect(explained).toMatch(/Why:[\s\S]*stopped at the request of @maintainer/);

    // retry: the factory's labels come off and the issue is queued again, by whom it says.
    const retry = await command(n, '/factory retry', 'maintainer');
    expect(retry.body).toMatchObject({ outcome: 'enqueued', issue: n });
    expect(queue.jobs).toEqual([
      {
        issue: n,
        reason: 'retry',
        requestedBy: 'maintainer',
        source: `webhook:${retry.id}`,
        jobId: expect.any(String),
      },
    ]);
    expect(gh.state.issues.get(n)?.labels.filter((l) => l.startsWith('factory:'))).toEqual([]);
    expect(factoryReplies(n).at(-1)).toBe(`**dark-factory**: @maintainer retrying #${n}: queued.`);
  });

  it("closing the factory's pull request stops its run; commands on the PR act on its issue", async () => {
    const issue = await reporter.createIssue({ title: 'Cite the right second', body: 'Off by one.' });
    const n = issue.number;
    const paused = await runIssue(engine, { issue: n, triageOnly: true });
    const run = await store.getRun(paused.runId);
    const pr = await factoryForge.createPullRequest({
      title: `Fix #${n}`,
      head: run?.branch ?? '',
      base: 'main',
    });
    const explain = await command(pr.number, '/factory explain', 'maintainer', true);
    expect(explain.body).toMatchObject({ outcome: 'done', issue: n });
    expect(factoryReplies(pr.number).at(-1)).toMatch(
      new RegExp(`run \`${paused.runId}\` for #${n}: \\*\\*waiting \\(no worker holds it`),
    );

    const closedByStranger = await send({
      event: 'pull_request',
      payload: pullRequestPayload('closed', { number: pr.number, head: pr.head }, 'stranger'),
    });
    expect(closedByStranger.body.outcome).toBe('ignored');
    expect(await store.stopRequest(paused.runId)).toBeUndefined();
    const closed = await send({
      event: 'pull_request',
      payload: pullRequestPayload('closed', { number: pr.number, head: pr.head }, 'maintainer'),
    });
    expect(closed.body).toMatchObject({ outcome: 'done', issue: n });
    expect(await store.stopRequest(paused.runId)).toMatchObject({
      requestedBy: 'maintainer',
      note: `closed pull request #${pr.number}`,
    });
    const report = await resumeRun(engine, paused.runId, { waitMs: 0 });
    expect(report.stopReason).toBe('stopped');
    // A merged PR, or a PR that is not the factory's, needs nothing.
    const merged = await send({
      event: 'pull_request',
      payload: pullRequestPayload('closed', { number: pr.number, head: pr.head, merged: true }, 'maintainer'),
    });
    expect(merged.body.outcome).toBe('ignored');
  });

  it('closing an issue stops its running run when a collaborator closes it, not when anyone else does', async () => {
    const issue = await reporter.createIssue({ title: 'Withdrawn', body: 'Never mind.' });
    const n = issue.number;
    const paused = await runIssue(engine, { issue: n, triageOnly: true });
    const stranger = await send({
      event: 'issues',
      payload: issuePayload('closed', { number: n, state: 'closed' }, 'stranger'),
    });
    expect(stranger.body).toMatchObject({ outcome: 'ignored' });
    expect(String(stranger.body.detail)).toMatch(/closed by @stranger, whose none access cannot stop runs/);
    expect(await store.stopRequest(paused.runId)).toBeUndefined();
    const closed = await send({
      event: 'issues',
      payload: issuePayload('closed', { number: n, state: 'closed' }, 'maintainer'),
    });
    expect(closed.body).toMatchObject({ outcome: 'done', issue: n });
    expect(await store.stopRequest(paused.runId)).toMatchObject({
      requestedBy: 'maintainer',
      note: `closed issue #${n}`,
    });
    expect(gh.state.comments.filter((c) => c.issueNumber === n).at(-1)?.body).toMatch(
      /@maintainer closed this issue, so run `[0-9a-f-]+` ends before its next step/,
    );
    // A retry before any worker took the run up again withdraws the stop: the latest word wins.
    const retry = await command(n, '/factory retry', 'maintainer');
    expect(retry.body).toMatchObject({ outcome: 'enqueued', issue: n });
    expect(await store.stopRequest(paused.runId)).toBeUndefined();
    expect(factoryReplies(n).at(-1)).toBe(
      `**dark-factory**: @maintainer retrying #${n}: queued. Run \`${paused.runId}\`, which no worker holds, is resumed (the stop asked for earlier is withdrawn).`,
    );
  });

  it('answers an unknown command with the list of commands, to a collaborator only', async () => {
    const issue = await reporter.createIssue({ title: 'Question', body: 'What does it do?' });
    const res = await command(issue.number, '/factory merge', 'maintainer');
    expect(res.body).toMatchObject({ outcome: 'refused', command: '/factory merge' });
    expect(factoryReplies(issue.number).at(-1)).toMatch(
      /`\/factory merge` is not a command\. The commands are `\/factory retry` .*`\/factory stop` .*`\/factory explain`/,
    );
    const explain = await command(issue.number, '/factory explain', 'maintainer');
    expect(explain.body.outcome).toBe('done');
    expect(factoryReplies(issue.number).at(-1)).toMatch(/the factory has not run on #\d+ yet/);
  });
});

describe('parseCommand', () => {
  it('takes the first command on a line of its own, outside quotes and fences', () => {
    expect(parseCommand('/factory retry')).toEqual({ command: 'retry' });
    expect(parseCommand('thanks!\n  /Factory STOP  \n/factory retry')).toEqual({ command: 'stop' });
    expect(parseCommand('please /factory retry')).toBeNull();
    expect(parseCommand('> /factory stop')).toBeNull();
    expect(parseCommand('```\n/factory stop\n```\n/factory explain')).toEqual({ command: 'explain' });
    expect(parseCommand('/factory')).toEqual({ command: 'unknown', word: '' });
    expect(parseCommand('/factory deploy now')).toBeNull();
    expect(parseCommand('/factory deploy')).toEqual({ command: 'unknown', word: 'deploy' });
    expect(parseCommand('/factoryretry')).toBeNull();
  });
});

const MISSION = `---
version: 1
protected: [mission.md]
validate:
  - name: test
    command: pnpm test
---

# Mission

Answer questions about the videos.
`;

function triageAccept(issue: number): ScenarioResponse {
  return {
    step: 'triage',
    issue,
    content: [
      {
        type: 'tool_use',
        name: 'triage_decision',
        input: { decision: 'accept', kind: 'bug', priority: 'normal', reason: 'in scope' },
      },
    ],
  };
}

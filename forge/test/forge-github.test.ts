import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForgeError, forgeFromEnv, GitHubForge, LocalForge } from '../src/index.ts';
import { type GitHubServer, startGitHubServer } from '../src/testing/github-server.ts';

const silent = pino({ level: 'silent' });
let server: GitHubServer;
let forge: GitHubForge;

beforeEach(async () => {
  server = await startGitHubServer({
    token: 'ghp_secret',
    owner: 'acme',
    repo: 'widgets',
    login: 'factory-bot',
  });
  forge = new GitHubForge({
    token: 'ghp_secret',
    repository: 'acme/widgets',
    baseUrl: server.url,
    logger: silent,
  });
});
afterEach(async () => {
  await server.close();
});

async function forgeError(promise: Promise<unknown>): Promise<ForgeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForgeError);
  return err as ForgeError;
}

describe('GitHubForge issues', () => {
  it('creates an issue through the REST API with the token', async () => {
    const issue = await forge.createIssue({
      title: 'Answer cites the wrong video',
      body: 'details',
      labels: ['bug'],
    });
    expect(issue).toMatchObject({
      number: 1,
      title: 'Answer cites the wrong video',
      body: 'details',
      state: 'open',
      labels: ['bug'],
      author: 'factory-bot',
      url: `${server.url}/acme/widgets/issues/1`,
    });
    const request = server.state.requests.at(-1)!;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/repos/acme/widgets/issues',
      body: { title: 'Answer cites the wrong video', body: 'details', labels: ['bug'] },
    });
    expect(request.headers.authorization).toBe('token ghp_secret');
    expect(server.state.issues.get(1)?.title).toBe('Answer cites the wrong video');
  });

  it('gets and lists issues, leaving pull requests out', async () => {
    await forge.createIssue({ title: 'one', labels: ['bug', 'ui'] });
    await forge.createPullRequest({ title: 'a PR', head: 'fix-one', base: 'main' });
    await forge.createIssue({ title: 'three', labels: ['ui'] });

    expect((await forge.getIssue(3)).title).toBe('three');
    expect((await forge.listIssues()).map((i) => i.number)).toEqual([3, 1]);
    expect((await forge.listIssues({ labels: ['bug', 'UI'] })).map((i) => i.number)).toEqual([1]);
    expect(server.state.requests.at(-1)?.query).toMatchObject({ labels: 'bug,UI', state: 'open' });

    const pr = await forgeError(forge.getIssue(2));
    expect(pr.code).toBe('not_found');
    expect(pr.message).toMatch(/pull request/);
  });

  it('follows pagination across pages', async () => {
    for (let i = 0; i < 105; i++) await forge.createIssue({ title: `issue ${i}` });
    const issues = await forge.listIssues();
    expect(issues.length).toBe(105);
    expect(new Set(issues.map((i) => i.number)).size).toBe(105);
    const pages = server.state.requests.filter(
      (r) => r.method === 'GET' && r.path === '/repos/acme/widgets/issues',
    );
    expect(pages.map((r) => r.query.page ?? '1')).toEqual(['1', '2']);
  });

  it('comments, labels and closes an issue', async () => {
    const issue = await forge.createIssue({ title: 'flaky', labels: ['bug'] });
    const comment = await forge.commentOnIssue(issue.number, 'reproduced');
    expect(comment).toMatchObject({ body: 'reproduced', author: 'factory-bot' });
    expect(comment.url).toContain('/acme/widgets/issues/1#issuecomment-');

    expect(await forge.addLabels(issue.number, ['triaged', 'BUG'])).toEqual(['bug', 'triaged']);

    const closed = await forge.closeIssue(issue.number, 'fixed');
    expect(closed).toMatchObject({ state: 'closed', labels: ['bug', 'triaged'] });
    expect(closed.closedAt).toBeDefined();
    expect((await forge.listComments(issue.number)).map((c) => c.body)).toEqual(['reproduced', 'fixed']);
    expect(await forge.listIssues()).toEqual([]);
    expect((await forge.listIssues({ state: 'closed' })).map((i) => i.number)).toEqual([1]);
  });
});

describe('GitHubForge pull requests', () => {
  it('creates, comments on, lists and merges a pull request', async () => {
    const pr = await forge.createPullRequest({
      title: 'Fix search',
      body: 'Closes #1',
      head: 'factory/1',
      base: 'main',
    });
    expect(pr).toMatchObject({
      number: 1,
      state: 'open',
      head: 'factory/1',
      base: 'main',
      title: 'Fix search',
      body: 'Closes #1',
      url: `${server.url}/acme/widgets/pull/1`,
    });
    expect((await forge.getPullRequest(1)).head).toBe('factory/1');

    await forge.commentOnPullRequest(1, 'CI green');
    expect((await forge.listComments(1)).map((c) => c.body)).toEqual(['CI green']);

    const duplicate = await forgeError(
      forge.createPullRequest({ title: 'again', head: 'factory/1', base: 'main' }),
    );
    expect(duplicate.code).toBe('conflict');
    expect(duplicate.message).toMatch(/already exists/);

    const merged = await forge.mergePullRequest(1, { method: 'squash' });
    expect(merged.state).toBe('merged');
    expect(merged.mergedAt).toBeDefined();
    expect(server.state.requests.find((r) => r.method === 'PUT')?.body).toEqual({ merge_method: 'squash' });

    const again = await forgeError(forge.mergePullRequest(1));
    expect(again.code).toBe('conflict');
    expect(again.context.status).toBe(405);

    expect(await forge.listPullRequests()).toEqual([]);
    expect((await forge.listPullRequests({ state: 'merged' })).map((p) => p.number)).toEqual([1]);
    expect(await forge.listPullRequests({ state: 'closed' })).toEqual([]);
    expect((await forge.listPullRequests({ state: 'all' })).length).toBe(1);
  });

  it('reports an unmergeable pull request as conflict', async () => {
    const pr = await forge.createPullRequest({ title: 'conflicting', head: 'feature', base: 'main' });
    server.state.unmergeable.add(pr.number);
    const err = await forgeError(forge.mergePullRequest(pr.number));
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/not mergeable/);
    expect((await forge.getPullRequest(pr.number)).state).toBe('open');
  });
});

describe('GitHubForge errors', () => {
  it('maps a bad token to auth', async () => {
    const wrong = new GitHubForge({
      token: 'nope',
      repository: 'acme/widgets',
      baseUrl: server.url,
      logger: silent,
    });
    const err = await forgeError(wrong.createIssue({ title: 'x' }));
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/Bad credentials/);
    expect(err.context).toMatchObject({ status: 401, repository: 'acme/widgets' });
    expect(server.state.issues.size).toBe(0);
  });

  it('maps 404 to not_found', async () => {
    const err = await forgeError(forge.getIssue(42));
    expect(err.code).toBe('not_found');
    expect(err.context).toMatchObject({ status: 404, number: 42 });
    const otherRepo = new GitHubForge({
      token: 'ghp_secret',
      repository: 'acme/gone',
      baseUrl: server.url,
      logger: silent,
    });
    expect((await forgeError(otherRepo.listIssues())).code).toBe('not_found');
  });

  it('maps 422 to invalid with GitHub’s message', async () => {
    server.script({
      method: 'POST',
      path: '/repos/acme/widgets/issues',
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'Issue', code: 'invalid', field: 'labels' }],
      },
    });
    const err = await forgeError(forge.createIssue({ title: 'x', labels: ['ok'] }));
    expect(err.code).toBe('invalid');
    expect(err.message).toMatch(/Validation Failed/);
  });

  it('maps 429 and exhausted 403 to rate_limited with when to retry, and plain 403 to auth', async () => {
    server.script({ status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '30' } });
    const tooMany = await forgeError(forge.listIssues());
    expect(tooMany.code).toBe('rate_limited');
    expect(tooMany.context.retryAfterSeconds).toBe(30);

    const reset = Math.floor(Date.now() / 1000) + 600;
    server.script({
      status: 403,
      body: { message: 'API rate limit exceeded' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    const exhausted = await forgeError(forge.getIssue(1));
    expect(exhausted.code).toBe('rate_limited');
    expect(exhausted.context.resetAt).toBe(new Date(reset * 1000).toISOString());

    server.script({ status: 403, body: { message: 'Resource not accessible by integration' } });
    expect((await forgeError(forge.createIssue({ title: 'x' }))).code).toBe('auth');

    // The scripts are used up: the next call goes through.
    expect((await forge.createIssue({ title: 'x' })).number).toBe(1);
  });

  it('maps server errors and an unreachable server to unavailable', async () => {
    server.script({ status: 502, body: { message: 'Bad Gateway' } });
    expect((await forgeError(forge.listIssues())).code).toBe('unavailable');

    await server.close();
    const down = await forgeError(forge.listIssues());
    expect(down.code).toBe('unavailable');
    server = await startGitHubServer(); // for afterEach
  });

  it('validates input before calling GitHub', async () => {
    const before = server.state.requests.length;
    expect((await forgeError(forge.createIssue({ title: '' }))).code).toBe('invalid');
    expect((await forgeError(forge.createPullRequest({ title: 't', head: 'main', base: 'main' }))).code).toBe(
      'invalid',
    );
    expect((await forgeError(forge.getIssue(-1))).code).toBe('invalid');
    expect(server.state.requests.length).toBe(before);
    expect(() => new GitHubForge({ token: 't', repository: 'not-a-repo', logger: silent })).toThrow(
      /owner\/repo/,
    );
  });
});

describe('forgeFromEnv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-env-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses GitHub when GITHUB_TOKEN and GITHUB_REPOSITORY are set', async () => {
    const chosen = forgeFromEnv(
      { GITHUB_TOKEN: 'ghp_secret', GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: server.url },
      { localDir: dir, logger: silent },
    );
    expect(chosen).toBeInstanceOf(GitHubForge);
    expect(chosen.kind).toBe('github');
    await chosen.createIssue({ title: 'via env' });
    expect(server.state.issues.get(1)?.title).toBe('via env');
  });

  it('uses the local forge otherwise, also when only half of GitHub is configured', async () => {
    const local = forgeFromEnv({}, { localDir: dir, logger: silent });
    expect(local).toBeInstanceOf(LocalForge);
    expect((local as LocalForge).dir).toBe(dir);
    expect((await local.createIssue({ title: 'kept locally' })).url).toBe('forge://local/issues/1');

    const half = forgeFromEnv({ GITHUB_REPOSITORY: 'acme/widgets' }, { localDir: dir, logger: silent });
    expect(half.kind).toBe('local');
    expect((await half.listIssues()).map((i) => i.title)).toEqual(['kept locally']);
  });

  it('rejects a malformed GITHUB_REPOSITORY', () => {
    expect(() => forgeFromEnv({ GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'acme' }, { logger: silent })).toThrow(
      ForgeError,
    );
  });
});

describe('GitHubForge labels and reopening', () => {
  it('removes a label through DELETE; an absent label is a no-op, a missing issue not_found', async () => {
    const issue = await forge.createIssue({ title: 'flaky', labels: ['bug', 'factory:accepted'] });
    expect(await forge.removeLabel(issue.number, 'Factory:Accepted')).toEqual(['bug']);
    const removal = server.state.requests.at(-1)!;
    expect([removal.method, removal.path]).toEqual([
      'DELETE',
      '/repos/acme/widgets/issues/1/labels/Factory%3AAccepted',
    ]);
    expect(server.state.issues.get(1)?.labels).toEqual(['bug']);

    // GitHub answers 404 "Label does not exist"; the forge reads the issue and reports its labels.
    expect(await forge.removeLabel(issue.number, 'factory:accepted')).toEqual(['bug']);
    expect(server.state.requests.slice(-2).map((r) => [r.method, r.path])).toEqual([
      ['DELETE', '/repos/acme/widgets/issues/1/labels/factory%3Aaccepted'],
      ['GET', '/repos/acme/widgets/issues/1'],
    ]);
    expect(await forge.removeLabel(issue.number, 'bug')).toEqual([]);

    const missing = await forgeError(forge.removeLabel(7, 'bug'));
    expect(missing.code).toBe('not_found');
    expect(missing.context).toMatchObject({ status: 404, number: 7 });

    const before = server.state.requests.length;
    expect((await forgeError(forge.removeLabel(1, ''))).code).toBe('invalid');
    expect(server.state.requests.length).toBe(before);

    server.script({ method: 'DELETE', status: 500, body: { message: 'boom' } });
    expect((await forgeError(forge.removeLabel(1, 'bug'))).code).toBe('unavailable');
  });

  it('reopens an issue, posting the comment first', async () => {
    const issue = await forge.createIssue({ title: 'Regression' });
    await forge.closeIssue(issue.number, 'Fixed by #2');
    const reopened = await forge.reopenIssue(issue.number, 'main failed after the merge: reverted');
    expect(reopened).toMatchObject({ number: 1, state: 'open' });
    expect(reopened.closedAt).toBeUndefined();
    expect(server.state.requests.slice(-2).map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/repos/acme/widgets/issues/1/comments', { body: 'main failed after the merge: reverted' }],
      ['PATCH', '/repos/acme/widgets/issues/1', { state: 'open' }],
    ]);
    expect((await forge.listIssues()).map((i) => i.number)).toEqual([1]);
    expect((await forge.reopenIssue(issue.number)).state).toBe('open');
    expect((await forge.listComments(1)).length).toBe(2);
    expect((await forgeError(forge.reopenIssue(9))).code).toBe('not_found');
  });
});

describe('GitHubForge authors and bots', () => {
  it('reports each author and whether it is a bot; CreateIssueInput.author is not sent', async () => {
    await server.close();
    server = await startGitHubServer({
      token: 'ghp_secret',
      login: 'factory[bot]',
      tokens: { ghp_reporter: 'alice', ghp_ci: 'ci-runner' },
      bots: ['ci-runner'],
    });
    const as = (token: string) =>
      new GitHubForge({ token, repository: 'acme/widgets', baseUrl: server.url, logger: silent });
    const factory = as('ghp_secret');
    const alice = as('ghp_reporter');

    const issue = await alice.createIssue({ title: 'Wrong video', author: 'web:42' });
    expect(issue).toMatchObject({ author: 'alice', authorIsBot: false });
    expect(server.state.requests.at(-1)?.body).toEqual({ title: 'Wrong video', body: '' });

    await factory.commentOnIssue(issue.number, 'accepted');
    await alice.commentOnIssue(issue.number, 'thanks');
    await as('ghp_ci').commentOnIssue(issue.number, 'CI green');
    expect((await factory.listComments(issue.number)).map((c) => [c.author, c.authorIsBot, c.body])).toEqual([
      ['factory[bot]', true, 'accepted'],
      ['alice', false, 'thanks'],
      ['ci-runner', true, 'CI green'],
    ]);
    expect((await factory.getIssue(issue.number)).authorIsBot).toBe(false);
  });

  it('says who the token acts as, once per instance; undefined when the token may not read /user', async () => {
    expect(await forge.viewer()).toBe('factory-bot');
    expect(await forge.viewer()).toBe('factory-bot');
    expect(server.state.requests.filter((r) => r.path === '/user').length).toBe(1);

    const installation = new GitHubForge({
      token: 'ghp_secret',
      repository: 'acme/widgets',
      baseUrl: server.url,
      logger: silent,
    });
    server.script({
      path: '/user',
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    expect(await installation.viewer()).toBeUndefined();

    const wrong = new GitHubForge({
      token: 'nope',
      repository: 'acme/widgets',
      baseUrl: server.url,
      logger: silent,
    });
    expect((await forgeError(wrong.viewer())).code).toBe('auth');
    // A failure is not remembered.
    server.script({ path: '/user', status: 502, body: { message: 'Bad Gateway' } });
    const flaky = new GitHubForge({
      token: 'ghp_secret',
      repository: 'acme/widgets',
      baseUrl: server.url,
      logger: silent,
    });
    expect((await forgeError(flaky.viewer())).code).toBe('unavailable');
    expect(await flaky.viewer()).toBe('factory-bot');
  });
});

describe('GitHubForge permissions', () => {
  it('reads role_name from the collaborator permission endpoint; 404 is none', async () => {
    for (const [login, permission] of Object.entries({
      maintainer: 'maintain',
      writer: 'write',
      triager: 'triage',
      reader: 'read',
      outsider: 'none',
    } as const)) {
      server.state.collaborators.set(login, permission);
    }
    expect(await forge.getPermission('factory-bot')).toBe('admin');
    expect(await forge.getPermission('Maintainer')).toBe('maintain');
    expect(await forge.getPermission('writer')).toBe('write');
    expect(await forge.getPermission('triager')).toBe('triage');
    expect(await forge.getPermission('reader')).toBe('read');
    expect(await forge.getPermission('outsider')).toBe('none');
    expect(await forge.getPermission('stranger')).toBe('none');
    expect(server.state.requests.at(-1)?.path).toBe('/repos/acme/widgets/collaborators/stranger/permission');

    // A custom role (GitHub Enterprise) falls back to the legacy permission.
    server.script({
      path: '/repos/acme/widgets/collaborators/auditor/permission',
      status: 200,
      body: { permission: 'read', role_name: 'security-auditor', user: { login: 'auditor' } },
    });
    expect(await forge.getPermission('auditor')).toBe('read');

    server.script({ path: /\/permission$/, status: 403, body: { message: 'Must have push access' } });
    expect((await forgeError(forge.getPermission('writer'))).code).toBe('auth');
    expect((await forgeError(forge.getPermission('two words'))).code).toBe('invalid');
  });
});

describe('GitHubForge pull request closing and merge details', () => {
  it('closes a pull request with a comment; closing a merged one leaves it merged', async () => {
    const pr = await forge.createPullRequest({ title: 'Attempt', head: 'factory/1-x', base: 'main' });
    const closed = await forge.closePullRequest(pr.number, 'Superseded');
    expect(closed).toMatchObject({ number: 1, state: 'closed' });
    expect(closed.mergedAt).toBeUndefined();
    expect(server.state.requests.slice(-2).map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/repos/acme/widgets/issues/1/comments', { body: 'Superseded' }],
      ['PATCH', '/repos/acme/widgets/pulls/1', { state: 'closed' }],
    ]);
    expect((await forge.listPullRequests({ state: 'closed' })).map((p) => p.number)).toEqual([1]);
    expect((await forge.closePullRequest(pr.number)).state).toBe('closed');
    expect((await forgeError(forge.mergePullRequest(pr.number))).code).toBe('conflict');

    const retry = await forge.createPullRequest({ title: 'Retry', head: 'factory/1-x', base: 'main' });
    await forge.mergePullRequest(retry.number);
    expect((await forge.closePullRequest(retry.number)).state).toBe('merged');
    expect((await forgeError(forge.closePullRequest(9))).code).toBe('not_found');
  });

  it('passes the commit title, message and head sha; a moved head is a conflict', async () => {
    const pr = await forge.createPullRequest({ title: 'Fix search', head: 'factory/1-fix', base: 'main' });
    const head = server.state.pulls.get(pr.number)!.headSha;
    expect(pr.mergeCommitSha).toBeUndefined();

    // The branch moved after validation: GitHub refuses with 409.
    server.state.pulls.get(pr.number)!.headSha = 'c'.repeat(40);
    const moved = await forgeError(forge.mergePullRequest(pr.number, { method: 'squash', sha: head }));
    expect(moved.code).toBe('conflict');
    expect(moved.context.status).toBe(409);
    expect(moved.message).toMatch(/Head branch was modified/);
    expect((await forge.getPullRequest(pr.number)).state).toBe('open');

    const merged = await forge.mergePullRequest(pr.number, {
      method: 'squash',
      commitTitle: 'Fix search (#1)',
      commitMessage: 'Fixes #1\n\nFactory-Run: run-1',
      sha: 'c'.repeat(40),
      mergeCommitSha: 'd'.repeat(40),
    });
    const stored = server.state.pulls.get(pr.number)!;
    expect(merged).toMatchObject({ state: 'merged', mergeCommitSha: stored.mergeCommitSha });
    expect(merged.mergeCommitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(merged.mergeCommitSha).not.toBe('d'.repeat(40));
    expect(stored).toMatchObject({
      mergeMethod: 'squash',
      mergeCommitTitle: 'Fix search (#1)',
      mergeCommitMessage: 'Fixes #1\n\nFactory-Run: run-1',
      mergeSha: 'c'.repeat(40),
    });
    expect(
      server.state.requests.find(
        (r) => r.method === 'PUT' && r.body !== undefined && 'commit_title' in (r.body as object),
      )?.body,
    ).toEqual({
      merge_method: 'squash',
      commit_title: 'Fix search (#1)',
      commit_message: 'Fixes #1\n\nFactory-Run: run-1',
      sha: 'c'.repeat(40),
    });
    expect((await forge.getPullRequest(pr.number)).mergeCommitSha).toBe(stored.mergeCommitSha);

    const before = server.state.requests.length;
    expect((await forgeError(forge.mergePullRequest(pr.number, { sha: 'abc' }))).code).toBe('invalid');
    expect(server.state.requests.length).toBe(before);
  });
});

describe('forgeFromEnv author', () => {
  it('gives the local forge its author; GitHub keeps the token’s user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forge-env-author-'));
    try {
      const local = forgeFromEnv({}, { localDir: dir, author: 'operator', logger: silent });
      expect((await local.createIssue({ title: 'mine' })).author).toBe('operator');
      expect(await local.viewer()).toBe('operator');
      expect(await local.getPermission('operator')).toBe('admin');

      const github = forgeFromEnv(
        { GITHUB_TOKEN: 'ghp_secret', GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: server.url },
        { localDir: dir, author: 'operator', logger: silent },
      );
      expect((await github.createIssue({ title: 'theirs' })).author).toBe('factory-bot');
      expect(await github.viewer()).toBe('factory-bot');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

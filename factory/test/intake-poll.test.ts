/**
 * The polling fallback: conditional listings with ETags against the fake GitHub REST server
 * (Octokit with `baseUrl`) and the local forge, the poller's cursor and claims in the run store,
 * and the intake's store methods on PGlite and (with DATABASE_URL) on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitHubForge, LocalForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { COMMENTS_CURSOR, ISSUES_CURSOR, type PollerDeps, pollOnce, runPoller } from '../src/intake/poll.ts';
import { openRunStore } from '../src/runs/open.ts';
import type { RunStore } from '../src/runs/types.ts';
import { openTestStore, RecordingQueue, silent, testPolicy } from './support/intake-rig.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (process.env.CI && !DATABASE_URL) {
  throw new Error('CI runs the intake store tests on PostgreSQL as well: DATABASE_URL must be set');
}

const TOKEN = 'ghs_factory0123456789abcdefghij';
const REPORTER = 'ghp_reporter0123456789abcdefghij';
const MAINTAINER = 'ghp_maintainer0123456789abcdefgh';
const STRANGER = 'ghp_stranger0123456789abcdefghij';
const BOT = 'ghs_otherbot0123456789abcdefghij';

let gh: GitHubServer;
let store: RunStore;
let tmp: string;
const as = (token: string) =>
  new GitHubForge({ token, repository: 'acme/widgets', baseUrl: gh.url, logger: silent });

beforeAll(async () => {
  gh = await startGitHubServer({
    token: TOKEN,
    owner: 'acme',
    repo: 'widgets',
    login: 'dark-factory',
    tokens: {
      [REPORTER]: 'reporter',
      [MAINTAINER]: 'maintainer',
      [STRANGER]: 'stranger',
      [BOT]: 'helper[bot]',
    },
    collaborators: { maintainer: 'write' },
  });
  store = await openTestStore();
  tmp = await mkdtemp(path.join(tmpdir(), 'intake-poll-'));
});

afterAll(async () => {
  await store?.close();
  await gh?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('conditional listings', () => {
  it('GitHub: a listing sent with its ETag is a 304 that costs no rate limit, until something changes', async () => {
    let clock = Date.parse('2025-03-01T10:00:00Z');
    const tick = () => {
      clock += 1000;
    };
    const server = await startGitHubServer({
      token: TOKEN,
      tokens: { [REPORTER]: 'reporter' },
      now: () => new Date(clock),
    });
    try {
      const forge = new GitHubForge({
        token: TOKEN,
        repository: 'acme/widgets',
        baseUrl: server.url,
        logger: silent,
      });
      const reporter = new GitHubForge({
        token: REPORTER,
        repository: 'acme/widgets',
        baseUrl: server.url,
        logger: silent,
      });
      const one = await reporter.createIssue({ title: 'One', body: '' });
      tick();
      await reporter.createIssue({ title: 'Two', body: '' });
      await forge.createPullRequest({ title: 'A change', head: 'feature', base: 'main' });
      tick();
      await reporter.commentOnIssue(one.number, 'first comment');

      const first = await forge.listIssueChanges();
      expect(first.changed).toBe(true);
      if (!first.changed) return;
      // Oldest update first, pull requests left out.
      expect(first.items.map((i) => i.number)).toEqual([2, 1]);
      expect(first.etag).toMatch(/^W\/"/);

      const counted = server.state.rateLimitedRequests;
      const second = await forge.listIssueChanges({ etag: first.etag });
      expect(second).toEqual({ changed: false, etag: first.etag });
      expect(server.state.rateLimitedRequests).toBe(counted);
      expect(server.state.notModifiedRequests).toBe(1);
      expect(server.state.requests.at(-1)?.headers['if-none-match']).toBe(first.etag);

      tick();
      await reporter.commentOnIssue(2, 'second comment');
      const third = await forge.listIssueChanges({ etag: first.etag });
      expect(third.changed).toBe(true);
      // The comment and the changed listing count; the 304 did not.
      expect(server.state.rateLimitedRequests).toBe(counted + 2);

      const comments = await forge.listCommentChanges({ since: '2000-01-01T00:00:00Z' });
      expect(comments.changed && comments.items.map((c) => [c.issue, c.body, c.author])).toEqual([
        [1, 'first comment', 'reporter'],
        [2, 'second comment', 'reporter'],
      ]);
      await expect(forge.listIssueChanges({ since: 'yesterday' })).rejects.toMatchObject({ code: 'invalid' });
    } finally {
      await server.close();
    }
  });

  it('local forge: an unchanged listing is told from a stat of the files, a change from a new tag', async () => {
    const forge = new LocalForge({ dir: path.join(tmp, 'forge'), author: 'dark-factory', logger: silent });
    const empty = await forge.listIssueChanges();
    expect(empty).toMatchObject({ changed: true, items: [] });
    const issue = await forge.createIssue({ title: 'Local', body: 'x', author: 'alice' });
    const first = await forge.listIssueChanges({ etag: empty.etag });
    expect(first.changed && first.items.map((i) => i.number)).toEqual([issue.number]);
    expect(await forge.listIssueChanges({ etag: first.etag })).toEqual({ changed: false, etag: first.etag });
    // The same tag for another query is not "unchanged".
    expect((await forge.listIssueChanges({ since: issue.createdAt, etag: first.etag })).changed).toBe(true);
    await forge.commentOnIssue(issue.number, '/factory explain');
    const comments = await forge.listCommentChanges({ etag: first.etag });
    expect(comments.changed && comments.items.map((c) => [c.issue, c.body])).toEqual([
      [issue.number, '/factory explain'],
    ]);
    expect((await forge.listIssueChanges({ etag: first.etag })).changed).toBe(true);
  });
});

describe('pollOnce', () => {
  let queue: RecordingQueue;
  let deps: PollerDeps;

  beforeAll(() => {
    queue = new RecordingQueue();
    deps = { queue, forge: as(TOKEN), policy: testPolicy(), store, logger: silent };
  });

  it('enqueues new issues, answers commands, and an idle poll is two free 304s, across restarts too', async () => {
    const reporter = as(REPORTER);
    const fresh = await reporter.createIssue({ title: 'Wrong second cited', body: 'Off by ten seconds.' });
    const handled = await reporter.createIssue({
      title: 'Already rejected',
      body: 'x',
      labels: ['factory:rejected'],
    });
    await as(BOT).createIssue({ title: 'Dependency update', body: 'bump' });
    // A closed issue is not even listed: it triggers nothing.
    await reporter.closeIssue((await reporter.createIssue({ title: 'Done already', body: 'x' })).number);

    const first = await pollOnce(deps);
    expect(first.issues).toMatchObject({ changed: true, handled: 3 });
    expect(queue.jobs.map((j) => [j.issue, j.reason])).toEqual([[fresh.number, 'opened']]);
    expect(first.outcomes.map((o) => o.detail)).toEqual([
      `#${fresh.number} queued (opened)`,
      `#${handled.number} was already taken by the factory (factory:rejected); \`/factory retry\` takes it again`,
      '@helper[bot] is a bot',
    ]);

    // Settle the cursors (the first poll's query and the next one differ), then poll idle.
    await pollOnce(deps);
    const counted = gh.state.rateLimitedRequests;
    const idle = await pollOnce(deps);
    expect(idle).toMatchObject({ issues: { changed: false }, comments: { changed: false }, outcomes: [] });
    expect(gh.state.rateLimitedRequests).toBe(counted);
    const idleRequests = gh.state.requests.slice(-2);
    expect(idleRequests.map((r) => [r.path, Boolean(r.headers['if-none-match'])])).toEqual([
      ['/repos/acme/widgets/issues', true],
      ['/repos/acme/widgets/issues/comments', true],
    ]);

    // Activity: a new issue and three comments.
    const later = await reporter.createIssue({ title: 'Search help says hybrid', body: 'BM25 only.' });
    await as(STRANGER).commentOnIssue(handled.number, '/factory retry');
    await as(BOT).commentOnIssue(fresh.number, '/factory stop');
    await as(MAINTAINER).commentOnIssue(fresh.number, '/factory explain');
    const busy = await pollOnce(deps);
    expect(busy.outcomes.map((o) => [o.outcome, o.detail])).toEqual(
      expect.arrayContaining([
        ['enqueued', `#${later.number} queued (opened)`],
        ['refused', '@stranger has none access; /factory retry needs write'],
        ['ignored', '@helper[bot] is a bot'],
        ['done', `no run of #${fresh.number}`],
      ]),
    );
    const replies = gh.state.comments.filter((c) => c.user === 'dark-factory').map((c) => c.body);
    expect(replies).toEqual([
      expect.stringMatching(
        /^\*\*dark-factory\*\*: @stranger `\/factory retry` was refused: it needs write access/,
      ),
      expect.stringMatching(/@maintainer the factory has not run on #\d+ yet/),
    ]);

    // The factory's own replies come back in the next listing and are ignored; then it is idle again.
    for (let i = 0; i < 3; i++) await pollOnce(deps);
    const before = gh.state.rateLimitedRequests;
    const restarted = await pollOnce({ ...deps, forge: as(TOKEN) });
    expect(restarted).toMatchObject({ issues: { changed: false }, comments: { changed: false } });
    expect(gh.state.rateLimitedRequests).toBe(before);
    // Each change was acted on once.
    expect(queue.jobs.map((j) => j.issue)).toEqual([fresh.number, later.number]);
    expect(gh.state.comments.filter((c) => c.user === 'dark-factory')).toHaveLength(2);
    const cursor = await store.getPollCursor(COMMENTS_CURSOR);
    expect(cursor?.etag).toMatch(/^W\/"/);
    expect(await store.getPollCursor(ISSUES_CURSOR)).toMatchObject({ since: expect.any(Date) });
  });

  it('a change that failed is taken again by the next poll, once', async () => {
    const reporter = as(REPORTER);
    const issue = await reporter.createIssue({ title: 'Failing once', body: 'x' });
    queue.failNext = true;
    await expect(pollOnce(deps)).rejects.toThrow(/queue unavailable/);
    const retried = await pollOnce(deps);
    expect(retried.outcomes.map((o) => o.detail)).toContain(`#${issue.number} queued (opened)`);
    expect(queue.jobs.filter((j) => j.issue === issue.number)).toHaveLength(1);
  });
});

describe('runPoller', () => {
  it('polls until aborted; a rate-limited poll is reported and retried, not fatal', async () => {
    const queue = new RecordingQueue();
    const deps: PollerDeps = { queue, forge: as(TOKEN), policy: testPolicy(), store, logger: silent };
    gh.script({
      method: 'GET',
      path: '/repos/acme/widgets/issues',
      status: 403,
      body: { message: 'API rate limit exceeded' },
      headers: { 'x-ratelimit-remaining': '0', 'retry-after': '0' },
    });
    const stop = new AbortController();
    const errors: unknown[] = [];
    let polls = 0;
    await runPoller(deps, {
      intervalMs: 5,
      signal: stop.signal,
      onError: (err) => errors.push(err),
      onPoll: () => {
        polls++;
        if (polls === 2) stop.abort();
      },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'rate_limited', context: { retryAfterSeconds: 0 } });
    expect(polls).toBe(2);
  });
});

/** The intake's part of the run store, the same on every backend. */
function storeContract(open: () => RunStore) {
  it('claims a delivery once, records its outcome, and forgets it on request', async () => {
    const s = open();
    const id = `d-${randomBytes(4).toString('hex')}`;
    expect(await s.claimDelivery({ id, source: 'webhook', event: 'issues', action: 'opened' })).toBe(true);
    expect(await s.claimDelivery({ id, source: 'webhook', event: 'issues', action: 'opened' })).toBe(false);
    await s.setDeliveryOutcome(id, 'enqueued: #1 queued (opened)');
    expect(await s.getDelivery(id)).toMatchObject({
      id,
      outcome: 'enqueued: #1 queued (opened)',
      receivedAt: expect.any(Date),
    });
    await s.releaseDelivery(id);
    expect(await s.getDelivery(id)).toBeUndefined();
    expect(await s.claimDelivery({ id, source: 'webhook', event: 'issues' })).toBe(true);
    await expect(s.claimDelivery({ id: '', source: 'webhook', event: 'issues' })).rejects.toMatchObject({
      code: 'store_error',
    });
  });

  it('takes one stop request per running run; none for a finished one', async () => {
    const s = open();
    const issue = 5000 + Math.floor(Math.random() * 1e6);
    const run = await s.createRun(
      {
        issue,
        author: 'alice',
        base: 'main',
        baseSha: 'c0ffee'.padEnd(40, '0'),
        branch: `factory/${issue}-x`,
        repo: '/r',
      },
      { owner: 'w1', ttlMs: 60_000 },
    );
    expect(await s.stopRequest(run.id)).toBeUndefined();
    const first = await s.requestStop(run.id, {
      requestedBy: 'maintainer',
      source: 'webhook:1',
      note: 'stop',
    });
    expect(first).toMatchObject({
      status: 'requested',
      request: { runId: run.id, requestedBy: 'maintainer', note: 'stop' },
    });
    const second = await s.requestStop(run.id, { requestedBy: 'other', source: 'webhook:2' });
    expect(second).toMatchObject({ status: 'already_requested', request: { requestedBy: 'maintainer' } });
    expect(await s.stopRequest(run.id)).toMatchObject({
      requestedBy: 'maintainer',
      requestedAt: expect.any(Date),
    });
    // Withdrawn (a later retry), it can be asked again; once the run has ended, it stays on record.
    expect(await s.withdrawStop(run.id)).toBe(true);
    expect(await s.withdrawStop(run.id)).toBe(false);
    expect((await s.requestStop(run.id, { requestedBy: 'maintainer', source: 'webhook:3' })).status).toBe(
      'requested',
    );
    await s.finishRun(run.id, 'w1', { state: 'needs-human', stopReason: 'stopped' });
    expect(await s.withdrawStop(run.id)).toBe(false);
    expect(await s.stopRequest(run.id)).toMatchObject({ source: 'webhook:3' });
    const late = await s.createRun(
      {
        issue: issue + 1,
        author: null,
        base: 'main',
        baseSha: 'c0ffee'.padEnd(40, '0'),
        branch: 'factory/x-y',
        repo: '/r',
      },
      { owner: 'w1', ttlMs: 60_000 },
    );
    await s.finishRun(late.id, 'w1', { state: 'rejected', stopReason: 'triage_rejected' });
    expect(await s.requestStop(late.id, { requestedBy: 'maintainer', source: 'x' })).toEqual({
      status: 'not_running',
    });
  });

  it('keeps poll cursors', async () => {
    const s = open();
    const name = `c-${randomBytes(3).toString('hex')}`;
    expect(await s.getPollCursor(name)).toBeUndefined();
    const since = new Date('2025-01-02T03:04:05Z');
    await s.setPollCursor(name, { since, etag: 'W/"abc"' });
    expect(await s.getPollCursor(name)).toEqual({ since, etag: 'W/"abc"' });
    await s.setPollCursor(name, { since: null, etag: null });
    expect(await s.getPollCursor(name)).toEqual({ since: null, etag: null });
  });
}

describe('intake store on PGlite', () => {
  storeContract(() => store);
});

describe.runIf(DATABASE_URL)('intake store on PostgreSQL', () => {
  const schema = `factory_intake_${randomBytes(5).toString('hex')}`;
  let server: RunStore;
  beforeAll(async () => {
    server = await openRunStore({
      databaseUrl: DATABASE_URL,
      dataDir: '/nonexistent/unused',
      schema,
      logger: silent,
    });
  });
  afterAll(async () => {
    await server?.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  storeContract(() => server);
});

describe('pnpm factory poll', () => {
  const cli = async (argv: string[]) => {
    let out = '';
    let err = '';
    const ctx = createContext({ INIT_CWD: tmp, FORGE_DIR: path.join(tmp, 'no-forge') });
    const code = await main(argv, {
      ...ctx,
      out: (t) => {
        out += `${t}\n`;
      },
      err: (t) => {
        err += `${t}\n`;
      },
    });
    return { code, out, err };
  };

  it('says what it does, and refuses a bad interval before opening anything', async () => {
    const help = await cli(['poll', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: factory poll \[options\][\s\S]*ETags[\s\S]*--once[\s\S]*--interval <s>/);
    const bad = await cli(['poll', '--interval', '1']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^factory: usage: .*--interval.*between 5 and 86400/m);
    // Outside a git repository there is no mission.md to take the policy from: one readable line.
    const norepo = await cli(['poll', '--once']);
    expect(norepo.code).toBe(1);
    expect(norepo.err.trim().split('\n')).toHaveLength(1);
  });
});

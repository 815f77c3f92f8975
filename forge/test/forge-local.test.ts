import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForgeError, LocalForge, type LocalForgeOptions } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const silent = pino({ level: 'silent' });

let dir: string;
const make = (options: LocalForgeOptions = {}) => new LocalForge({ dir, logger: silent, ...options });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-local-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function forgeError(promise: Promise<unknown>): Promise<ForgeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForgeError);
  return err as ForgeError;
}

/** A child process creating `count` issues in `dir` once told to go; resolves to the numbers it got. */
function startWorker(tag: string, count: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'support', 'forge-worker.ts'), dir, String(count), tag],
    {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((done) => {
    markReady = done;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const numbers = new Promise<number[]>((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code !== 0) fail(new Error(`worker ${tag} exited with ${code}: ${stderr}`));
      else done(JSON.parse(stdout.replace(/^ready\n/, '')) as number[]);
    });
  });
  // Surface an early crash instead of waiting for "ready" forever.
  const failedEarly = numbers.then(() => undefined);
  return { ready: Promise.race([ready, failedEarly]), go: () => child.stdin.end('go\n'), numbers };
}

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.once('exit', done));
  return child.pid!;
}

describe('LocalForge issues', () => {
  it('creates, reads and lists issues, stored one JSON file each', async () => {
    const clock = new Date('2025-01-02T03:04:05.000Z');
    const forge = make({ author: 'tester', now: () => clock });
    const a = await forge.createIssue({
      title: '  Search returns nothing  ',
      body: 'steps…',
      labels: ['bug', 'Bug'],
    });
    const b = await forge.createIssue({ title: 'Second', labels: ['feature'] });

    expect(a).toMatchObject({
      number: 1,
      title: 'Search returns nothing',
      body: 'steps…',
      state: 'open',
      labels: ['bug'],
      author: 'tester',
      url: 'forge://local/issues/1',
      path: join(dir, 'issues', '1.json'),
      createdAt: '2025-01-02T03:04:05.000Z',
      updatedAt: '2025-01-02T03:04:05.000Z',
    });
    expect(b.number).toBe(2);
    expect(b.body).toBe('');

    const onDisk = JSON.parse(await readFile(join(dir, 'issues', '1.json'), 'utf8'));
    expect(onDisk).toMatchObject({ number: 1, title: 'Search returns nothing', comments: [] });
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual({ last: 2 });

    // A fresh instance (another process, later) sees the same data.
    const again = make();
    expect(await again.getIssue(1)).toEqual(a);
    expect((await again.listIssues()).map((i) => i.number)).toEqual([2, 1]);
    expect((await again.listIssues({ labels: ['BUG'] })).map((i) => i.number)).toEqual([1]);
    expect(await again.listIssues({ labels: ['bug', 'feature'] })).toEqual([]);
  });

  it('comments, labels and closes', async () => {
    const forge = make();
    const issue = await forge.createIssue({ title: 'Broken link', labels: ['bug'] });

    const c1 = await forge.commentOnIssue(issue.number, 'Looking into it');
    expect(c1).toMatchObject({ id: 1, body: 'Looking into it', url: 'forge://local/issues/1#comment-1' });
    expect(await forge.addLabels(issue.number, ['triaged', 'BUG'])).toEqual(['bug', 'triaged']);

    const closed = await forge.closeIssue(issue.number, 'Fixed in #2');
    expect(closed.state).toBe('closed');
    expect(closed.closedAt).toBeDefined();
    expect(closed.labels).toEqual(['bug', 'triaged']);
    expect((await forge.listComments(issue.number)).map((c) => [c.id, c.body])).toEqual([
      [1, 'Looking into it'],
      [2, 'Fixed in #2'],
    ]);

    // Closing again changes nothing but the optional comment.
    const again = await forge.closeIssue(issue.number);
    expect(again.closedAt).toBe(closed.closedAt);
    expect(await forge.listIssues()).toEqual([]);
    expect((await forge.listIssues({ state: 'closed' })).map((i) => i.number)).toEqual([1]);
    expect((await forge.listIssues({ state: 'all' })).length).toBe(1);
  });

  it('refuses bad input with invalid, naming the field, and unknown numbers with not_found', async () => {
    const forge = make();
    const empty = await forgeError(forge.createIssue({ title: '   ' }));
    expect(empty.code).toBe('invalid');
    expect(empty.message).toMatch(/title must not be empty/);
    expect((await forgeError(forge.getIssue(0))).code).toBe('invalid');
    expect((await forgeError(forge.commentOnIssue(1, ''))).code).toBe('invalid');
    expect((await forgeError(forge.addLabels(1, []))).code).toBe('invalid');

    const missing = await forgeError(forge.getIssue(7));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain('#7');
    expect((await forgeError(forge.commentOnIssue(7, 'hi'))).code).toBe('not_found');
    expect((await forgeError(forge.listComments(7))).code).toBe('not_found');
    // Nothing was created by the failed calls.
    expect(await forge.listIssues({ state: 'all' })).toEqual([]);
  });
});

describe('LocalForge pull requests', () => {
  it('creates, comments on, lists and merges pull requests in the shared number space', async () => {
    const forge = make({ author: 'factory' });
    await forge.createIssue({ title: 'Add dark mode' });
    const pr = await forge.createPullRequest({
      title: 'Dark mode',
      body: 'Closes #1',
      head: 'factory/issue-1',
      base: 'main',
    });
    expect(pr).toMatchObject({
      number: 2,
      state: 'open',
      head: 'factory/issue-1',
      base: 'main',
      url: 'forge://local/pulls/2',
      author: 'factory',
    });
    expect((await forge.createIssue({ title: 'next' })).number).toBe(3);

    // PRs are not issues, and issues are not PRs.
    const notIssue = await forgeError(forge.getIssue(2));
    expect(notIssue.code).toBe('not_found');
    expect(notIssue.message).toMatch(/pull request/);
    expect((await forgeError(forge.getPullRequest(1))).code).toBe('not_found');
    expect((await forge.listIssues()).map((i) => i.number)).toEqual([3, 1]);

    const comment = await forge.commentOnPullRequest(2, 'LGTM');
    expect(comment.url).toBe('forge://local/pulls/2#comment-1');
    expect((await forge.listComments(2)).map((c) => c.body)).toEqual(['LGTM']);

    const duplicate = await forgeError(
      forge.createPullRequest({ title: 'again', head: 'factory/issue-1', base: 'main' }),
    );
    expect(duplicate.code).toBe('conflict');
    expect((await forgeError(forge.createPullRequest({ title: 'x', head: 'main', base: 'main' }))).code).toBe(
      'invalid',
    );

    const merged = await forge.mergePullRequest(2, { method: 'squash' });
    expect(merged.state).toBe('merged');
    expect(merged.mergedAt).toBeDefined();
    expect(JSON.parse(await readFile(join(dir, 'pulls', '2.json'), 'utf8')).mergeMethod).toBe('squash');
    const twice = await forgeError(forge.mergePullRequest(2));
    expect(twice.code).toBe('conflict');
    expect(twice.message).toMatch(/merged/);

    expect(await forge.listPullRequests()).toEqual([]);
    expect((await forge.listPullRequests({ state: 'merged' })).map((p) => p.number)).toEqual([2]);
    expect(await forge.listPullRequests({ state: 'closed' })).toEqual([]);
    // Once merged, the same branch may be proposed again.
    expect(
      (await forge.createPullRequest({ title: 'follow-up', head: 'factory/issue-1', base: 'main' })).number,
    ).toBe(4);
  });
});

describe('LocalForge concurrency', () => {
  it('gives distinct numbers to concurrent creates from several instances in one process', async () => {
    const forges = [make(), make(), make()];
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => forges[i % 3]!.createIssue({ title: `issue ${i}` })),
    );
    const numbers = created.map((i) => i.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await make().listIssues()).length).toBe(30);
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual({ last: 30 });
    // No lock or temp file is left behind.
    expect((await readdir(dir)).sort()).toEqual(['counter.json', 'issues', 'pulls']);
    expect((await readdir(join(dir, 'issues'))).every((f) => /^\d+\.json$/.test(f))).toBe(true);
  });

  it('gives distinct numbers to creates racing from two child processes and this one', async () => {
    const workers = [startWorker('alpha', 20), startWorker('beta', 20)];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const forge = make({ author: 'parent' });
    const mine = await Promise.all(
      Array.from({ length: 10 }, (_, i) => forge.createIssue({ title: `parent ${i}` })),
    );
    const [fromA, fromB] = await Promise.all(workers.map((w) => w.numbers));

    const all = [...fromA!, ...fromB!, ...mine.map((i) => i.number)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const issues = await make().listIssues();
    expect(issues.length).toBe(50);
    const byAuthor = (author: string) =>
      issues
        .filter((i) => i.author === author)
        .map((i) => i.number)
        .sort((x, y) => x - y);
    expect(byAuthor('alpha')).toEqual([...fromA!].sort((x, y) => x - y));
    expect(byAuthor('beta')).toEqual([...fromB!].sort((x, y) => x - y));
  });

  it('continues numbering from the files when the counter file is lost', async () => {
    const forge = make();
    await forge.createIssue({ title: 'one' });
    await forge.createIssue({ title: 'two' });
    await unlink(join(dir, 'counter.json'));
    expect((await forge.createIssue({ title: 'three' })).number).toBe(3);
  });
});

describe('LocalForge damaged files', () => {
  it('reports a file that is not JSON as corrupt, naming it, and leaves it in place', async () => {
    const forge = make();
    await forge.createIssue({ title: 'fine' });
    await forge.createIssue({ title: 'to be damaged' });
    const path = join(dir, 'issues', '2.json');
    await writeFile(path, '{"number": 2, "title": "trunc');

    const err = await forgeError(forge.getIssue(2));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not valid JSON/);
    // Listing does not skip it silently.
    expect((await forgeError(forge.listIssues())).message).toContain(path);
    // Nor does a write overwrite it.
    expect((await forgeError(forge.commentOnIssue(2, 'hello'))).code).toBe('corrupt');
    expect(await readFile(path, 'utf8')).toBe('{"number": 2, "title": "trunc');
    // The healthy issue is still served.
    expect((await forge.getIssue(1)).title).toBe('fine');
  });

  it('reports a file that breaks the schema, naming the file and the field', async () => {
    const forge = make();
    await forge.createIssue({ title: 'fine' });
    const path = join(dir, 'issues', '1.json');
    const record = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...record, state: 'reopened' }));
    const err = await forgeError(forge.getIssue(1));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/state/);

    await writeFile(path, JSON.stringify({ ...record, number: 9 }));
    expect((await forgeError(forge.getIssue(1))).message).toMatch(/holds #9, not #1/);
  });

  it('reports a corrupt counter file instead of guessing a number', async () => {
    const forge = make();
    await forge.createIssue({ title: 'one' });
    await writeFile(join(dir, 'counter.json'), '{"last": -3}');
    const err = await forgeError(forge.createIssue({ title: 'two' }));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain('counter.json');
  });
});

describe('LocalForge lock', () => {
  const lockPath = () => join(dir, '.lock');
  const writeLock = (record: Record<string, unknown>) => writeFile(lockPath(), JSON.stringify(record));

  it('takes over a lock left by a dead process', async () => {
    // No wait for a live holder: a dead one that is not taken over fails the write at once (unavailable).
    const forge = make({ lock: { timeoutMs: 0 } });
    await forge.createIssue({ title: 'before' });
    const pid = await deadPid();
    await writeLock({ pid, hostname: hostname(), token: 'dead', acquiredAt: new Date().toISOString() });

    expect((await forge.createIssue({ title: 'after' })).number).toBe(2);
    await expect(stat(lockPath())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a live holder within its lease, then gives up with unavailable', async () => {
    const forge = make({ lock: { timeoutMs: 300 } });
    await forge.createIssue({ title: 'before' });
    await writeLock({
      pid: process.pid,
      hostname: hostname(),
      token: 'alive',
      acquiredAt: new Date().toISOString(),
    });

    const err = await forgeError(forge.createIssue({ title: 'blocked' }));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain(`held by pid ${process.pid}`);
    // The live holder's lock was left alone and nothing was written.
    expect(JSON.parse(await readFile(lockPath(), 'utf8')).token).toBe('alive');
    expect((await forge.listIssues()).length).toBe(1);

    // Once the holder releases, writes go through again.
    await unlink(lockPath());
    expect((await forge.createIssue({ title: 'unblocked' })).number).toBe(2);
  });

  it('takes over a live holder whose lease has run out', async () => {
    const forge = make({ lock: { leaseMs: 1_000, timeoutMs: 5_000 } });
    await writeLock({
      pid: process.pid,
      hostname: hostname(),
      token: 'slow',
      acquiredAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect((await forge.createIssue({ title: 'after lease' })).number).toBe(1);
  });

  it('judges an unreadable lock file by its age', async () => {
    const forge = make({ lock: { leaseMs: 1_000, timeoutMs: 300 } });
    await forge.createIssue({ title: 'before' });
    await writeFile(lockPath(), '');
    // Fresh: a holder caught between creating and writing it.
    expect((await forgeError(forge.createIssue({ title: 'blocked' }))).code).toBe('unavailable');
    // Old: that holder died there.
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath(), old, old);
    expect((await forge.createIssue({ title: 'after' })).number).toBe(2);
  });

  it('lets a lock held on another host expire only by lease, not by pid', async () => {
    const forge = make({ lock: { leaseMs: 60_000, timeoutMs: 300 } });
    const pid = await deadPid();
    await writeLock({
      pid,
      hostname: `not-${hostname()}`,
      token: 'remote',
      acquiredAt: new Date().toISOString(),
    });
    expect((await forgeError(forge.createIssue({ title: 'blocked' }))).code).toBe('unavailable');
  });
});

describe('LocalForge authors and viewer', () => {
  it('records the issue’s own author, else the forge’s, and the forge’s on comments', async () => {
    const forge = make({ author: 'operator' });
    const reported = await forge.createIssue({ title: 'Wrong citation', author: 'web:42' });
    const filed = await forge.createIssue({ title: 'Slow search' });
    expect(reported.author).toBe('web:42');
    expect(filed.author).toBe('operator');
    expect(reported.authorIsBot).toBeUndefined();
    expect((await forge.commentOnIssue(reported.number, 'triaged')).author).toBe('operator');
    // Another instance (the web app, no author of its own) still records who reported.
    const web = make();
    expect((await web.createIssue({ title: 'Another', author: 'web:7' })).author).toBe('web:7');
    expect((await web.createIssue({ title: 'Anonymous' })).author).toBeUndefined();
    expect((await make().getIssue(1)).author).toBe('web:42');

    const spaced = await forgeError(forge.createIssue({ title: 'x', author: 'two words' }));
    expect(spaced.code).toBe('invalid');
    expect(spaced.message).toMatch(/login must not contain spaces/);
    expect(() => make({ author: '' })).toThrow(ForgeError);
  });

  it('says who it acts as: its author, or undefined without one', async () => {
    expect(await make({ author: 'operator' }).viewer()).toBe('operator');
    expect(await make().viewer()).toBeUndefined();
  });
});

describe('LocalForge labels and reopening', () => {
  it('removes a label case-insensitively; removing an absent one changes nothing', async () => {
    const clock = { at: new Date('2025-03-01T10:00:00.000Z') };
    const forge = make({ now: () => clock.at });
    const issue = await forge.createIssue({ title: 'Broken', labels: ['bug', 'factory:accepted'] });
    clock.at = new Date('2025-03-01T11:00:00.000Z');
    expect(await forge.removeLabel(issue.number, 'FACTORY:Accepted')).toEqual(['bug']);
    const after = await forge.getIssue(issue.number);
    expect(after.labels).toEqual(['bug']);
    expect(after.updatedAt).toBe('2025-03-01T11:00:00.000Z');

    const path = join(dir, 'issues', '1.json');
    const before = await readFile(path, 'utf8');
    clock.at = new Date('2025-03-01T12:00:00.000Z');
    expect(await forge.removeLabel(issue.number, 'factory:accepted')).toEqual(['bug']);
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await forge.removeLabel(issue.number, 'bug')).toEqual([]);

    expect((await forgeError(forge.removeLabel(issue.number, ' '))).code).toBe('invalid');
    expect((await forgeError(forge.removeLabel(9, 'bug'))).code).toBe('not_found');
    const pr = await forge.createPullRequest({ title: 'p', head: 'feature', base: 'main' });
    expect((await forgeError(forge.removeLabel(pr.number, 'bug'))).message).toMatch(/is a pull request/);
  });

  it('reopens a closed issue with a comment; reopening an open one only comments', async () => {
    const forge = make({ author: 'factory' });
    const issue = await forge.createIssue({ title: 'Regression' });
    const closed = await forge.closeIssue(issue.number, 'Fixed by #2');
    expect(closed.closedAt).toBeDefined();

    const reopened = await forge.reopenIssue(issue.number, 'main failed after the merge: reverted');
    expect(reopened.state).toBe('open');
    expect(reopened.closedAt).toBeUndefined();
    expect((await forge.listIssues()).map((i) => i.number)).toEqual([issue.number]);
    expect((await forge.listComments(issue.number)).map((c) => [c.body, c.author])).toEqual([
      ['Fixed by #2', 'factory'],
      ['main failed after the merge: reverted', 'factory'],
    ]);

    const again = await forge.reopenIssue(issue.number);
    expect(again.state).toBe('open');
    expect((await forge.listComments(issue.number)).length).toBe(2);
    expect((await forgeError(forge.reopenIssue(issue.number, ''))).code).toBe('invalid');
    expect((await forgeError(forge.reopenIssue(5))).code).toBe('not_found');
  });
});

describe('LocalForge pull request closing and merge details', () => {
  it('closes a pull request without merging; closing a closed or merged one changes nothing', async () => {
    const forge = make({ author: 'factory' });
    const pr = await forge.createPullRequest({ title: 'Attempt', head: 'factory/1-x', base: 'main' });
    const closed = await forge.closePullRequest(pr.number, 'Superseded');
    expect(closed.state).toBe('closed');
    expect(closed.mergedAt).toBeUndefined();
    expect((await forge.listComments(pr.number)).map((c) => [c.body, c.author])).toEqual([
      ['Superseded', 'factory'],
    ]);
    expect((await forge.listPullRequests({ state: 'closed' })).map((p) => p.number)).toEqual([pr.number]);
    expect((await forge.closePullRequest(pr.number)).state).toBe('closed');
    expect((await forgeError(forge.mergePullRequest(pr.number))).code).toBe('conflict');

    const other = await forge.createPullRequest({ title: 'Retry', head: 'factory/1-x', base: 'main' });
    await forge.mergePullRequest(other.number, { method: 'squash' });
    expect((await forge.closePullRequest(other.number)).state).toBe('merged');

    const issue = await forge.createIssue({ title: 'an issue' });
    expect((await forgeError(forge.closePullRequest(issue.number))).message).toMatch(/is an issue/);
  });

  it('stores what the merge was asked for and the commit the caller made', async () => {
    const forge = make();
    const pr = await forge.createPullRequest({ title: 'Fix', head: 'factory/3-fix', base: 'main' });
    const head = 'a'.repeat(40);
    const commit = 'b'.repeat(40);
    const merged = await forge.mergePullRequest(pr.number, {
      method: 'squash',
      commitTitle: 'Fix search (#1)',
      commitMessage: 'Fixes #1\n\nFactory-Run: run-1',
      sha: head,
      mergeCommitSha: commit,
    });
    expect(merged).toMatchObject({ state: 'merged', mergeCommitSha: commit });
    expect(await forge.getPullRequest(pr.number)).toEqual(merged);
    const onDisk = JSON.parse(await readFile(join(dir, 'pulls', `${pr.number}.json`), 'utf8'));
    expect(onDisk).toMatchObject({
      mergeMethod: 'squash',
      commitTitle: 'Fix search (#1)',
      commitMessage: 'Fixes #1\n\nFactory-Run: run-1',
      mergeHeadSha: head,
      mergeCommitSha: commit,
    });

    const next = await forge.createPullRequest({ title: 'Next', head: 'factory/4', base: 'main' });
    const bad = await forgeError(forge.mergePullRequest(next.number, { sha: 'abc123' }));
    expect(bad.code).toBe('invalid');
    expect(bad.message).toMatch(/full commit sha/);
    expect((await forge.getPullRequest(next.number)).state).toBe('open');
  });
});

describe('LocalForge permissions', () => {
  it('reads collaborators.json and the option (which wins); its own author is admin; others none', async () => {
    await writeFile(join(dir, 'collaborators.json'), JSON.stringify({ Alice: 'write', bob: 'triage' }));
    const forge = make({ author: 'operator', collaborators: { bob: 'read', carol: 'maintain' } });
    expect(await forge.getPermission('OPERATOR')).toBe('admin');
    expect(await forge.getPermission('alice')).toBe('write');
    expect(await forge.getPermission('bob')).toBe('read');
    expect(await forge.getPermission('carol')).toBe('maintain');
    expect(await forge.getPermission('web:42')).toBe('none');
    // The file is read on each call: an operator's edit counts at once.
    await writeFile(join(dir, 'collaborators.json'), JSON.stringify({ 'web:42': 'write' }));
    expect(await forge.getPermission('web:42')).toBe('write');
    expect(await forge.getPermission('alice')).toBe('none');

    expect(await make().getPermission('anyone')).toBe('none');
    expect((await forgeError(forge.getPermission(' '))).code).toBe('invalid');
    expect(() => make({ collaborators: { dave: 'owner' as never } })).toThrow(/collaborators/);
  });

  it('reports a broken collaborators.json as corrupt, naming it', async () => {
    const forge = make();
    const path = join(dir, 'collaborators.json');
    await writeFile(path, '{"alice": "write",');
    const notJson = await forgeError(forge.getPermission('alice'));
    expect(notJson.code).toBe('corrupt');
    expect(notJson.message).toContain(path);
    await writeFile(path, JSON.stringify({ alice: 'owner' }));
    const badValue = await forgeError(forge.getPermission('alice'));
    expect(badValue.code).toBe('corrupt');
    expect(badValue.message).toMatch(/alice/);
  });
});

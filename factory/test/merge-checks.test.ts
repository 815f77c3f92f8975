/**
 * The forge's gate before a merge: required checks (branch protection, rulesets, the policy's
 * `checks.required`) and protection's verdict, read through the real forges (Octokit against the
 * fake GitHub server; the local forge's files), waited for by polling, and decided in code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BranchProtection, GitHubForge, isForgeError, LocalForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSummary } from '../src/cli/commands/status.ts';
import { runDetailText, statusText } from '../src/cli/format.ts';
import { RunReportSchema } from '../src/engine/report.ts';
import type { RunRecord } from '../src/runs/types.ts';
import { awaitChecks, type ChecksSnapshot, judgeChecks } from '../src/steps/checks.ts';
import { git } from '../src/workspace/git.ts';
import { CHEAP_VALIDATE, helpTextFix, makeRig } from './support/scenario.ts';
import { soak } from './support/soak.ts';

const silent = pino({ level: 'silent' });
const SHA = 'a'.repeat(40);
const TOKEN = 'ghs_checkstoken0123456789abcdef';

/** Resolves once `condition` holds, checking every 20 ms (no fixed sleeps), or fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function snapshot(over: Partial<ChecksSnapshot> = {}): ChecksSnapshot {
  const protection: BranchProtection = {
    branch: 'main',
    protected: true,
    requiredChecks: ['test'],
    strict: false,
    requiredApprovingReviews: null,
  };
  return {
    sha: SHA,
    required: ['test'],
    reported: [{ name: 'test', state: 'success', source: 'check_run', detail: 'success' }],
    protection,
    pull: { number: 2, state: 'open', mergeable: true, mergeableState: 'clean' },
    ...over,
  };
}

const settled = { timedOut: false, blockedSettled: false };

describe('judgeChecks (pure)', () => {
  it('passes when every required check succeeded and the forge can merge', () => {
    const j = judgeChecks(snapshot(), settled);
    expect(j.state).toBe('pass');
    expect(j.checks.map((c) => `${c.name}:${c.ok}`)).toEqual([
      'required checks:true',
      'branch protection:true',
    ]);
    expect(j.checks[0]?.detail).toContain('test success');
  });

  it('refuses at once on a failed required check, and names it', () => {
    const j = judgeChecks(
      snapshot({ reported: [{ name: 'test', state: 'failure', source: 'check_run', detail: 'timed_out' }] }),
      settled,
    );
    expect(j).toMatchObject({ state: 'refuse', stopReason: 'checks_failed' });
    expect(j.checks[0]?.detail).toContain('test failure (timed_out)');
  });

  it('waits for a pending or unreported required check, and refuses it when the wait ran out', () => {
    const pending = snapshot({
      reported: [{ name: 'test', state: 'pending', source: 'check_run', detail: 'in_progress' }],
    });
    expect(judgeChecks(pending, settled)).toMatchObject({ state: 'wait', waitingFor: 'test' });
    const missing = judgeChecks(snapshot({ reported: [] }), { ...settled, timedOut: true });
    expect(missing).toMatchObject({ state: 'refuse', stopReason: 'checks_failed' });
    expect(missing.checks[0]?.detail).toContain('test not reported');
    expect(missing.checks[0]?.detail).toContain('GITHUB_TOKEN start no workflows');
  });

  it('does not block on a failing check that nothing requires, but reports it', () => {
    const j = judgeChecks(
      snapshot({
        reported: [
          { name: 'test', state: 'success', source: 'check_run' },
          { name: 'lint-docs', state: 'failure', source: 'status' },
        ],
        pull: { number: 2, state: 'open', mergeable: true, mergeableState: 'unstable' },
      }),
      settled,
    );
    expect(j.state).toBe('pass');
    expect(j.checks[0]?.detail).toContain('not required and failing: lint-docs');
  });

  it('refuses what protection forbids: conflicts, a draft, a branch that is behind under strict', () => {
    for (const state of ['dirty', 'draft', 'behind']) {
      const j = judgeChecks(
        snapshot({ pull: { number: 2, state: 'open', mergeable: true, mergeableState: state } }),
        settled,
      );
      expect(j, state).toMatchObject({ state: 'refuse', stopReason: 'merge_blocked' });
    }
  });

  it('gives a `blocked` state time to clear after the checks turn green, then refuses it', () => {
    const blocked = snapshot({
      protection: { ...snapshot().protection, requiredApprovingReviews: 1 },
      pull: { number: 2, state: 'open', mergeable: true, mergeableState: 'blocked' },
    });
    expect(judgeChecks(blocked, settled).state).toBe('wait');
    const j = judgeChecks(blocked, { timedOut: false, blockedSettled: true });
    expect(j).toMatchObject({ state: 'refuse', stopReason: 'merge_blocked' });
    expect(j.checks[1]?.detail).toContain('1 approving review required');
  });

  it('needs nothing on an unprotected branch with no policy checks', () => {
    const j = judgeChecks(
      snapshot({
        required: [],
        reported: [],
        protection: {
          branch: 'main',
          protected: false,
          requiredChecks: [],
          strict: false,
          requiredApprovingReviews: null,
        },
      }),
      settled,
    );
    expect(j.state).toBe('pass');
    expect(j.checks.map((c) => c.detail)).toEqual([
      `no checks required on ${SHA.slice(0, 12)}`,
      'main is not protected; mergeable (clean)',
    ]);
  });
});

describe('the run records its sandbox boundary', () => {
  it('`status` shows it per run, `status --run` too', () => {
    const at = new Date('2025-05-01T10:00:00Z');
    const run: RunRecord = {
      id: '0d3c2b1a-1111-4222-8333-444455556666',
      issue: 1,
      issueHash: null,
      author: 'reporter',
      base: 'main',
      baseSha: SHA,
      branch: 'factory/1-x',
      repo: '/repo',
      state: 'needs-human',
      stopReason: 'checks_failed',
      pr: 2,
      sandbox: 'bubblewrap',
      createdAt: at,
      updatedAt: at,
      finishedAt: at,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseLive: false,
    };
    const summary = runSummary(run, at.getTime());
    expect(summary.sandbox).toBe('bubblewrap');
    const text = statusText({
      forge: { kind: 'local', dir: '/forge' } as never,
      openIssues: 1,
      openPullRequests: 1,
      runs: [summary, { ...summary, runId: 'ffffffff-run', sandbox: null }],
    });
    expect(text).toMatch(
      /SANDBOX\s+STARTED\n0d3c2b1a\s+#1\s+needs-human\s+checks_failed\s+#2\s+bubblewrap\s/,
    );
    expect(text).toMatch(/ffffffff[^\n]*#2\s+-\s+2025/);
    const detail = runDetailText({
      runId: run.id,
      issue: 1,
      status: 'needs-human',
      pr: 2,
      steps: [],
      cost: { inputTokens: 0, outputTokens: 0, usd: 0 },
      durationMs: 0,
      run: summary,
      events: [],
    });
    expect(detail).toContain('sandbox: bubblewrap');
  });
});

describe('forge checks and protection', () => {
  let gh: GitHubServer;
  let forge: GitHubForge;
  beforeAll(async () => {
    gh = await startGitHubServer({ token: TOKEN, owner: 'acme', repo: 'widgets', login: 'factory[bot]' });
    forge = new GitHubForge({ token: TOKEN, repository: 'acme/widgets', baseUrl: gh.url, logger: silent });
  });
  afterAll(async () => {
    await gh.close();
  });

  it('GitHub: reads check runs and commit statuses by name through Octokit (a check run wins over a status)', async () => {
    gh.state.checkRuns.set(SHA, [
      { name: 'test', status: 'completed', conclusion: 'success' },
      { name: 'evals', status: 'in_progress', conclusion: null },
      { name: 'docs', status: 'completed', conclusion: 'cancelled' },
      { name: 'optional', status: 'completed', conclusion: 'skipped' },
    ]);
    await forge.setCommitStatus(SHA, { context: 'test', state: 'failure', description: 'old CI' });
    await forge.setCommitStatus(SHA, { context: 'deploy/preview', state: 'pending' });
    await forge.setCommitStatus(SHA, { context: 'deploy/preview', state: 'error' });
    const checks = await forge.listCommitChecks(SHA);
    expect(checks.map((c) => `${c.name}:${c.state}:${c.source}`)).toEqual([
      'deploy/preview:failure:status',
      'docs:failure:check_run',
      'evals:pending:check_run',
      'optional:skipped:check_run',
      'test:success:check_run',
    ]);
    expect(gh.state.requests.some((r) => r.path === `/repos/acme/widgets/commits/${SHA}/check-runs`)).toBe(
      true,
    );
    const invalid = await forge
      .setCommitStatus('not-a-sha', { context: 'x', state: 'success' })
      .catch((e) => e);
    expect(isForgeError(invalid, 'invalid')).toBe(true);
  });

  it('GitHub: required checks from classic protection and rulesets together; reviews from rulesets', async () => {
    expect(await forge.getBranchProtection('main')).toEqual({
      branch: 'main',
      protected: false,
      requiredChecks: [],
      strict: false,
      requiredApprovingReviews: null,
    });
    gh.state.protection.set('main', { requiredChecks: ['test'], strict: true });
    gh.state.rules.set('main', [
      { type: 'required_status_checks', parameters: { required_status_checks: [{ context: 'evals' }] } },
      { type: 'pull_request', parameters: { required_approving_review_count: 1 } },
      { type: 'non_fast_forward' },
    ]);
    expect(await forge.getBranchProtection('main')).toEqual({
      branch: 'main',
      protected: true,
      requiredChecks: ['evals', 'test'],
      strict: true,
      requiredApprovingReviews: 1,
    });
    gh.state.protection.set('main', { requiredChecks: ['test'], enforcementLevel: 'off' });
    gh.state.rules.delete('main');
    expect((await forge.getBranchProtection('main')).requiredChecks).toEqual([]);
    gh.state.protection.delete('main');
  });

  it('local: statuses recorded in the forge directory, protection from protection.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'forge-checks-'));
    try {
      const local = new LocalForge({ dir, author: 'operator', logger: silent });
      expect(await local.listCommitChecks(SHA)).toEqual([]);
      await local.setCommitStatus(SHA, { context: 'test', state: 'pending' });
      await local.setCommitStatus(SHA, {
        context: 'test',
        state: 'success',
        targetUrl: 'https://ci.example/1',
      });
      await local.setCommitStatus(SHA, { context: 'lint', state: 'error' });
      expect(await local.listCommitChecks(SHA)).toEqual([
        { name: 'lint', state: 'failure', source: 'status', detail: 'error' },
        { name: 'test', state: 'success', source: 'status', detail: 'success', url: 'https://ci.example/1' },
      ]);
      expect((await local.getBranchProtection('main')).protected).toBe(false);
      await writeFile(
        path.join(dir, 'protection.json'),
        JSON.stringify({ main: { requiredChecks: ['test'] } }),
      );
      expect(await local.getBranchProtection('main')).toEqual({
        branch: 'main',
        protected: true,
        requiredChecks: ['test'],
        strict: false,
        requiredApprovingReviews: null,
      });
      await writeFile(path.join(dir, 'protection.json'), JSON.stringify({ main: { required: ['test'] } }));
      const corrupt = await local.getBranchProtection('main').catch((e) => e);
      expect(isForgeError(corrupt, 'corrupt')).toBe(true);
      expect(String(corrupt.message)).toContain('protection.json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('waits for a pending required check, polling the forge, and passes once it succeeds', async () => {
    const pr = await forge.createPullRequest({ title: 'wait', head: 'factory/wait', base: 'main' });
    const head = gh.state.pulls.get(pr.number)!.headSha;
    gh.state.protection.set('main', { requiredChecks: ['test'] });
    gh.state.checkRuns.set(head, [{ name: 'test', status: 'queued', conclusion: null }]);
    const polls = () =>
      gh.state.requests.filter((r) => r.path.endsWith(`/commits/${head}/check-runs`)).length;
    const lines: string[] = [];
    const waiting = awaitChecks({
      forge,
      pr: pr.number,
      base: 'main',
      sha: head,
      policyRequired: [],
      waitMs: 60_000,
      pollMs: 25,
      progress: (line) => lines.push(line),
    });
    await until(() => polls() >= 2, 'two polls of the pending check');
    gh.state.checkRuns.set(head, [{ name: 'test', status: 'completed', conclusion: 'success' }]);
    const { judgement, polls: made } = await waiting;
    expect(judgement.state).toBe('pass');
    expect(made).toBeGreaterThanOrEqual(3);
    expect(lines).toEqual([`PR #${pr.number}: waiting for test (up to 1 min)`]);
    // GitHub's own rule agrees: the merge goes through now.
    await forge.mergePullRequest(pr.number, { method: 'squash', sha: head });
    gh.state.protection.delete('main');
  });

  it('refuses once the wait runs out, naming the check that never reported; the fake refuses such a merge too', async () => {
    const pr = await forge.createPullRequest({ title: 'never', head: 'factory/never', base: 'main' });
    const head = gh.state.pulls.get(pr.number)!.headSha;
    const { judgement } = await awaitChecks({
      forge,
      pr: pr.number,
      base: 'main',
      sha: head,
      policyRequired: ['test'],
      waitMs: 100,
      pollMs: 25,
    });
    expect(judgement).toMatchObject({ state: 'refuse', stopReason: 'checks_failed' });
    expect(judgement.checks[0]?.detail).toContain('test not reported');
    gh.state.protection.set('main', { requiredChecks: ['test'] });
    const refused = await forge.mergePullRequest(pr.number, { method: 'squash' }).catch((e) => e);
    expect(isForgeError(refused, 'conflict')).toBe(true);
    expect(String(refused.message)).toContain('Required status check "test" is expected');
    gh.state.protection.delete('main');
  });
});

// A whole pipeline run: in `pnpm test:soak`; the decision, the wait and the forge calls are tested above.
describe.runIf(soak)('the merge step on GitHub', () => {
  it('waits for the pending required check, and does not merge when it fails', async () => {
    const gh = await startGitHubServer({
      token: TOKEN,
      owner: 'acme',
      repo: 'dark-factory',
      login: 'dark-factory[bot]',
      tokens: { ghp_reporter0123456789abcdef0123: 'reporter' },
      collaborators: { reporter: 'read' },
    });
    const rig = await makeRig({
      policy: {
        validate: CHEAP_VALIDATE,
        gate: undefined,
        merge: { method: 'squash', dailyCap: 10, verifyAfterMerge: false },
        checks: { required: ['test'], waitMinutes: 5, pollSeconds: 1 },
      },
      issues: [],
      env: { GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: 'acme/dark-factory', GITHUB_API_URL: gh.url },
      scenario: { responses: helpTextFix(1) },
    });
    try {
      const bare = path.join(rig.root, 'origin.git');
      await git(rig.root, ['init', '--bare', '-q', bare]);
      await git(rig.repoDir, ['remote', 'add', 'origin', bare]);
      await git(rig.repoDir, ['push', '-q', 'origin', 'main']);
      await new GitHubForge({
        token: 'ghp_reporter0123456789abcdef0123',
        repository: 'acme/dark-factory',
        baseUrl: gh.url,
        logger: silent,
      }).createIssue({ title: 'Search help says hybrid', body: 'The default is BM25 only.' });

      const running = rig.cli(['run', '--issue', '1', '--json']);
      // The test plays CI: the PR's check starts, the factory keeps looking, then the check fails.
      await until(() => gh.state.pulls.has(2), 'the pull request', 120_000);
      const head = gh.state.pulls.get(2)!.headSha;
      gh.state.checkRuns.set(head, [{ name: 'test', status: 'in_progress', conclusion: null }]);
      const polls = () =>
        gh.state.requests.filter((r) => r.path.endsWith(`/commits/${head}/check-runs`)).length;
      await until(() => polls() >= 2, 'the factory to poll the pending check twice');
      gh.state.checkRuns.set(head, [{ name: 'test', status: 'completed', conclusion: 'failure' }]);
      const res = await running;

      expect(res.code, res.stderr).toBe(0);
      const report = RunReportSchema.parse(JSON.parse(res.stdout));
      expect(report).toMatchObject({ status: 'needs-human', stopReason: 'checks_failed', pr: 2 });
      expect(report.sandbox).toBe('bubblewrap');
      expect(res.stderr).toContain('PR #2: waiting for test');
      expect(gh.state.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/merge'))).toEqual([]);
      expect(gh.state.pulls.get(2)?.mergedAt).toBeNull();
      expect(gh.state.issues.get(1)?.state).toBe('open');
      expect(gh.state.issues.get(1)?.labels).toContain('factory:needs-human');
      const evidence = gh.state.comments
        .filter((c) => c.issueNumber === 1)
        .map((c) => c.body)
        .join('\n');
      expect(evidence).toContain('checks failed');
      expect(evidence).toContain('required checks: failed: test failure');
    } finally {
      await rig.close();
      await gh.close();
    }
  }, 300_000);
});

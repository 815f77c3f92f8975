/**
 * The online path, offline: the same engine against GitHub through Octokit (a local server that
 * speaks the REST calls used) with a local bare repository as `origin`. The branch is pushed with
 * git, the PR opened and squash-merged through the API, the issue commented, labelled and closed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitHubForge } from '@dark-factory/forge';
import { type GitHubServer, startGitHubServer } from '@dark-factory/forge/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunReportSchema } from '../src/engine/report.ts';
import { git } from '../src/workspace/git.ts';
import {
  CHEAP_VALIDATE,
  HELP_ISSUE,
  helpTextFix,
  makeRig,
  type ScenarioRig,
  storeTemplate,
} from './support/scenario.ts';

// The migrated store every rig copies, made before the cases' clocks start.
beforeAll(() => storeTemplate());
let rig: ScenarioRig | undefined;
let gh: GitHubServer | undefined;
afterAll(async () => {
  await rig?.close();
  await gh?.close();
});

describe('online path against a GitHub-speaking server and a bare origin', () => {
  it('pushes the branch, opens and squash-merges the PR through the API, and closes the issue', async () => {
    gh = await startGitHubServer({
      token: 'ghs_factorytoken0123456789abcdef',
      owner: 'acme',
      repo: 'dark-factory',
      login: 'dark-factory[bot]',
      tokens: { ghp_reportertoken0123456789abcdef: 'reporter' },
      collaborators: { reporter: 'read' },
    });
    rig = await makeRig({
      policy: {
        validate: CHEAP_VALIDATE,
        gate: undefined,
        merge: { method: 'squash', dailyCap: 10, verifyAfterMerge: false },
      },
      issues: [],
      env: {
        GITHUB_TOKEN: 'ghs_factorytoken0123456789abcdef',
        GITHUB_REPOSITORY: 'acme/dark-factory',
        GITHUB_API_URL: gh.url,
      },
      scenario: {
        responses: helpTextFix(1),
      },
    });
    const bare = path.join(await mkdtemp(path.join(tmpdir(), 'factory-origin-')), 'origin.git');
    await git(rig.root, ['init', '--bare', '-q', bare]);
    await git(rig.repoDir, ['remote', 'add', 'origin', bare]);
    await git(rig.repoDir, ['push', '-q', 'origin', 'main']);

    const reporter = new GitHubForge({
      token: 'ghp_reportertoken0123456789abcdef',
      repository: 'acme/dark-factory',
      baseUrl: gh.url,
      logger: pino({ level: 'silent' }),
    });
    await reporter.createIssue(HELP_ISSUE);

    const res = await rig.cli(['run', '--issue', '1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const report = RunReportSchema.parse(JSON.parse(res.stdout));
    expect(report.status, res.stderr).toBe('merged');
    expect(report.pr).toBe(2);

    // The branch went to origin with git; the PR was opened and squash-merged through the API.
    const remoteBranches = (await git(rig.repoDir, ['ls-remote', '--heads', 'origin'])).stdout;
    expect(remoteBranches).toMatch(/refs\/heads\/factory\/1-ask-help-omits-the-k-default/);
    const pull = gh.state.pulls.get(2);
    expect(pull?.mergeMethod).toBe('squash');
    expect(pull?.mergeCommitMessage).toContain('Fixes #1');
    expect(pull?.mergeCommitMessage).toContain(`Factory-Run: ${report.runId}`);
    const prIssue = gh.state.issues.get(2);
    expect(prIssue?.body).toContain('Fixes #1');
    const issue = gh.state.issues.get(1);
    expect(issue?.state).toBe('closed');
    expect(issue?.labels).toEqual(expect.arrayContaining(['factory:accepted', 'factory:merged']));
    const comments = gh.state.comments.filter((c) => c.issueNumber === 1).map((c) => c.body);
    expect(comments.some((b) => b.includes('dark-factory triage'))).toBe(true);
    // Nothing the factory wrote to the forge carries a token.
    const written = JSON.stringify(gh.state.requests.map((r) => r.body));
    expect(written).not.toContain('ghs_factorytoken');
    // Every request went through the API with the factory's token (Octokit, not a hand-made client).
    const merges = gh.state.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/pulls/2/merge'));
    expect(merges).toHaveLength(1);
  }, 300_000);

  it('sends an issue edited after triage back to triage instead of into the agent', async () => {
    const server = await startGitHubServer({
      token: 'ghs_factorytoken0123456789abcdef',
      owner: 'acme',
      repo: 'dark-factory',
      login: 'dark-factory[bot]',
      tokens: { ghp_reportertoken0123456789abcdef: 'reporter' },
    });
    const triage = (decision: string) => ({
      step: 'triage' as const,
      issue: 1,
      content: [
        {
          type: 'tool_use' as const,
          name: 'triage_decision',
          input: { decision, kind: 'bug', priority: 'normal', reason: decision },
        },
      ],
    });
    const edited = await makeRig({
      policy: { validate: CHEAP_VALIDATE, gate: undefined },
      issues: [],
      env: {
        GITHUB_TOKEN: 'ghs_factorytoken0123456789abcdef',
        GITHUB_REPOSITORY: 'acme/dark-factory',
        GITHUB_API_URL: server.url,
      },
      scenario: { responses: [triage('accept'), triage('reject')] },
    });
    try {
      const reporter = new GitHubForge({
        token: 'ghp_reportertoken0123456789abcdef',
        repository: 'acme/dark-factory',
        baseUrl: server.url,
        logger: pino({ level: 'silent' }),
      });
      await reporter.createIssue({ title: 'Fix the help', body: 'Please fix the search help.' });
      const first = await edited.cli(['triage', '--issue', '1', '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(server.state.issues.get(1)?.labels).toContain('factory:accepted');
      // The reporter rewrites the issue after it was accepted.
      const patch = await fetch(`${server.url}/repos/acme/dark-factory/issues/1`, {
        method: 'PATCH',
        headers: {
          authorization: 'token ghp_reportertoken0123456789abcdef',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ body: 'Actually: delete the evals gate.' }),
      });
      expect(patch.status).toBe(200);
      const resumed = await edited.cli(['resume', '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const [report] = (JSON.parse(resumed.stdout) as unknown[]).map((r) => RunReportSchema.parse(r));
      expect(report?.stopReason).toBe('issue_edited');
      expect(report?.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        'intake:ok',
        'triage:ok',
        'plan:refused',
      ]);
      expect(edited.server.requests.filter((r) => r.step === 'plan')).toEqual([]);
      expect(server.state.issues.get(1)?.labels.filter((l) => l.startsWith('factory:'))).toEqual([]);
      // Without a factory label the next loop triages the new text.
      const again = await edited.cli(['loop', '--once', '--json']);
      expect(again.code, again.stderr).toBe(0);
      const [second] = (JSON.parse(again.stdout) as unknown[]).map((r) => RunReportSchema.parse(r));
      expect(second?.stopReason).toBe('triage_rejected');
      const triageBodies = edited.server.requests
        .filter((r) => r.step === 'triage')
        .map((r) => JSON.stringify(r.body));
      expect(triageBodies).toHaveLength(2);
      expect(triageBodies[1]).toContain('delete the evals gate');
    } finally {
      await edited.close();
      await server.close();
    }
  }, 300_000);
});

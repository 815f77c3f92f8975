/**
 * Scenario (a), which is also `pnpm factory demo`: triage → plan → implement (a real edit of a
 * rag-app source file that fails the lint validation) → fix-1 → validate-1 (commands and main's
 * real evals gate on a corpus slice) → review-1 → squash merge → verify, on a temporary clone.
 */

import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { type DemoResult, removeDemo, runDemo } from '../src/demo/run-demo.ts';
import { git } from '../src/workspace/git.ts';
import { hasSharedData, mustHaveShared, REPO_ROOT, sharedDataDir } from './support/gate-fixture.ts';
import { GATE_CACHE_DIR } from './support/scenario.ts';

let result: DemoResult | undefined;
afterAll(async () => {
  if (result) await removeDemo(result);
});

const shared = hasSharedData() ? sharedDataDir() : undefined;
if (!shared && mustHaveShared) throw new Error(`CI needs the shared data at ${sharedDataDir()} (SHARED_DIR)`);

describe('scenario (a): an issue to a squash merge', () => {
  it('merges exactly one commit that fixes the issue, after one fix round, with the gate passed', async () => {
    const lines: string[] = [];
    result = await runDemo({
      sourceRepo: REPO_ROOT,
      sharedDir: shared,
      progress: (l) => lines.push(l),
      env: { ...process.env, DATABASE_URL: '', FACTORY_GATE_CACHE_DIR: GATE_CACHE_DIR },
    });
    const { report } = result;
    expect(report.status, lines.join('\n')).toBe('merged');
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'intake:ok',
      'triage:ok',
      'plan:ok',
      'implement:ok',
      'validate:failed',
      'fix-1:ok',
      'validate-1:ok',
      'review-1:ok',
      'merge:ok',
      'verify:ok',
    ]);
    expect(result.gate).toBe(shared ? 'slice' : 'none');
    expect(result.model.unused).toBe(0);

    // Exactly one new commit on main, a squash with the trailer, that touches only the rag-app file.
    expect(result.newCommits).toHaveLength(1);
    const message = (await git(result.repoDir, ['log', '-1', '--format=%B', 'main'])).stdout;
    expect(message).toContain('Fixes #1');
    expect(message).toContain(`Factory-Run: ${report.runId}`);
    const files = (await git(result.repoDir, ['show', '--name-only', '--format=', 'main'])).stdout.trim();
    expect(files).toBe('rag-app/src/cli/main.ts');
    const source = (await git(result.repoDir, ['show', 'main:rag-app/src/cli/main.ts'])).stdout;
    expect(source).toContain(
      "'rank transcript passages for a query (BM25; fused with vectors when EMBEDDER is set)'",
    );

    const forge = new LocalForge({ dir: result.forgeDir });
    const issue = await forge.getIssue(1);
    expect(issue.state).toBe('closed');
    expect(issue.labels).toEqual(expect.arrayContaining(['factory:accepted', 'factory:merged']));
    const [pr] = await forge.listPullRequests({ state: 'merged' });
    expect(pr?.number).toBe(report.pr);
    expect(pr?.body).toContain('Fixes #1');
    expect(pr?.body).toContain('Evals gate');

    // The run and its ledger are stored: status --run reads them back.
    const env = {
      ...process.env,
      DATABASE_URL: '',
      INIT_CWD: result.workRoot,
      FORGE_DIR: result.forgeDir,
      FACTORY_STORE_DIR: path.join(result.workRoot, 'store'),
      FACTORY_WORK_DIR: path.join(result.workRoot, 'work'),
    };
    let out = '';
    const code = await main(['status', '--run', report.runId, '--json'], {
      ...createContext(env),
      out: (t) => {
        out += t;
      },
      err: () => undefined,
    });
    expect(code).toBe(0);
    const detail = JSON.parse(out) as {
      ledger: { calls: number; inputTokens: number };
      events: { kind: string }[];
    };
    expect(detail.ledger.calls).toBe(result.model.requests);
    expect(detail.ledger.inputTokens).toBeGreaterThan(0);
    expect(detail.events.filter((e) => e.kind === 'command').length).toBeGreaterThanOrEqual(4);
    expect(report.cost.usd).not.toBeNull();
  }, 400_000);
});

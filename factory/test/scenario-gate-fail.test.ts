/**
 * Scenario (c): a change that breaks retrieval (RRF scores inverted) passes its lint but fails main's
 * real evals gate; the fix round does not repair it; the issue ends needs-human with the gate's
 * report commented on it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGateFixture } from '../src/demo/gate-slice.ts';
import { RunReportSchema } from '../src/engine/report.ts';
import { hasSharedData, mustHaveShared, sharedDataDir } from './support/gate-fixture.ts';
import { makeRig, type ScenarioRig, storeTemplate } from './support/scenario.ts';

const shared = hasSharedData() ? sharedDataDir() : undefined;
if (!shared && mustHaveShared) throw new Error(`CI needs the shared data at ${sharedDataDir()} (SHARED_DIR)`);

// The migrated store every rig copies, made before the cases' clocks start.
beforeAll(() => storeTemplate());
let rig: ScenarioRig | undefined;
let fixtureDir: string | undefined;
afterAll(async () => {
  await rig?.close();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

const FUSION_OLD = 'scores.set(id, (scores.get(id) ?? 0) + list.weight / (k + i + 1));';
const FUSION_BROKEN = 'scores.set(id, (scores.get(id) ?? 0) + list.weight * (k + i + 1));';

describe.runIf(shared)('scenario (c): the evals gate', () => {
  it('fails a change that lowers retrieval quality, and the fix round cannot talk its way past it', async () => {
    fixtureDir = await mkdtemp(path.join(tmpdir(), 'factory-gate-c-'));
    const fixture = await makeGateFixture({ sharedDir: shared!, dir: fixtureDir });
    rig = await makeRig({
      policy: {
        validate: [
          { name: 'lint', command: 'pnpm exec biome check rag-app/src/retrieve', timeoutSeconds: 120 },
        ],
        gate: { corpus: fixture.corpusDir, datasets: fixture.datasets, timeoutSeconds: 600 },
        limits: { fixAttempts: 1 },
      },
      issues: [{ title: 'Fusion favours the head of each list too much', body: 'Flatten the RRF curve.' }],
      scenario: {
        responses: [
          {
            step: 'triage',
            issue: 1,
            content: [
              {
                type: 'tool_use',
                name: 'triage_decision',
                input: {
                  decision: 'accept',
                  kind: 'feature',
                  priority: 'low',
                  reason: 'retrieval tuning is in scope',
                },
              },
            ],
          },
          {
            step: 'plan',
            issue: 1,
            content: [
              {
                type: 'tool_use',
                name: 'submit_plan',
                input: {
                  summary: 'change the RRF weighting',
                  steps: ['edit rrf.ts'],
                  files: ['rag-app/src/retrieve/rrf.ts'],
                  risks: ['retrieval quality'],
                },
              },
            ],
          },
          {
            step: 'implement',
            issue: 1,
            attempt: 0,
            content: [
              {
                type: 'tool_use',
                name: 'edit_file',
                input: {
                  path: 'rag-app/src/retrieve/rrf.ts',
                  old_string: FUSION_OLD,
                  new_string: FUSION_BROKEN,
                },
              },
              { type: 'tool_use', name: 'done', input: { summary: 'flattened' } },
            ],
          },
          {
            step: 'fix',
            issue: 1,
            attempt: 1,
            note: 'argues instead of repairing: edits a comment only',
            content: [
              {
                type: 'tool_use',
                name: 'edit_file',
                input: {
                  path: 'rag-app/src/retrieve/rrf.ts',
                  old_string: '/** The constant of Cormack et al. (2009); it damps the head of each list. */',
                  new_string:
                    '/** The constant of Cormack et al. (2009). The gate is wrong about this change. */',
                },
              },
              { type: 'tool_use', name: 'done', input: { summary: 'the gate is noisy' } },
            ],
          },
        ],
      },
    });
    const res = await rig.cli(['run', '--issue', '1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const report = RunReportSchema.parse(JSON.parse(res.stdout));
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'intake:ok',
      'triage:ok',
      'plan:ok',
      'implement:ok',
      'validate:failed',
      'fix-1:ok',
      'validate-1:failed',
      'merge:skipped',
    ]);
    expect(report.status).toBe('needs-human');
    expect(report.stopReason).toBe('validation_exhausted');
    expect(await rig.newCommits()).toEqual([]);
    // The fix round was told the gate's verdict, not the earlier conversation.
    const fixRequest = rig.server.requests.find((r) => r.step === 'fix');
    const firstUser = JSON.stringify(
      (fixRequest?.body as { messages?: unknown[] } | undefined)?.messages?.[0],
    );
    expect(firstUser).toMatch(/gate/i);
    expect(firstUser).not.toContain('flattened');
    const comments = await rig.forge.listComments(1);
    const last = comments.at(-1)?.body ?? '';
    expect(last).toContain('Evals gate');
    expect(last).toMatch(/hitAt1Moment|mrrMoment|ndcgAt10|recallAt10Video/);
    expect((await rig.forge.getIssue(1)).labels).toContain('factory:needs-human');
  }, 400_000);
});

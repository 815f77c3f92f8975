/**
 * Scenario (d): the factory process is killed with SIGKILL right after the implement step; a
 * `resume` takes the run over once its lease has expired and finishes it; exactly one merge.
 * The kill comes before validation, so the resumed process validates from scratch: it validates
 * with the cheap command, the evals gate passing on the demo's change is scenario (a)'s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunReportSchema } from '../src/engine/report.ts';
import {
  CHEAP_VALIDATE,
  HELP_ISSUE,
  helpTextFix,
  makeRig,
  type ScenarioRig,
  storeTemplate,
  trace,
} from './support/scenario.ts';

// The migrated store every rig copies, made before the cases' clocks start.
beforeAll(() => storeTemplate());
let rig: ScenarioRig | undefined;
afterAll(async () => {
  await rig?.close();
});

describe('scenario (d): kill and resume', () => {
  it('finishes a run whose process was SIGKILLed after implement, merging exactly once', async () => {
    rig = await makeRig({
      policy: {
        validate: CHEAP_VALIDATE,
        gate: undefined,
        merge: { method: 'squash', dailyCap: 10, verifyAfterMerge: false },
      },
      issues: [HELP_ISSUE],
      scenario: {
        responses: helpTextFix(1),
      },
    });
    const child = rig.spawnCli(['run', '--issue', '1', '--json']);
    let stderr = '';
    const killed = new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        trace(`child: ${chunk.toString()}`);
        if (/#1 implement: ok/.test(stderr)) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', (_code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`exited on its own:\n${stderr}`)),
      );
    });
    await killed;
    const res = await rig.cli(['resume', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const [report] = (JSON.parse(res.stdout) as unknown[]).map((r) => RunReportSchema.parse(r));
    expect(report?.status, res.stderr).toBe('merged');
    expect(report?.steps.map((s) => s.name)).toEqual([
      'intake',
      'triage',
      'plan',
      'implement',
      'validate',
      'review',
      'merge',
    ]);
    expect(await rig.newCommits()).toHaveLength(1);
    expect((await rig.forge.listPullRequests({ state: 'merged' })).length).toBe(1);
    // A second resume finds nothing to do and merges nothing again.
    const again = await rig.cli(['resume', '--json']);
    expect(JSON.parse(again.stdout)).toEqual([]);
    expect(await rig.newCommits()).toHaveLength(1);
    // The scripted model was asked for implement exactly once: resume did not redo a stored step.
    expect(rig.server.requests.filter((r) => r.step === 'implement')).toHaveLength(1);
  }, 400_000);
});

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import pino from 'pino';
import { openEngine } from '../cli/engine.ts';
import type { RunReport } from '../engine/report.ts';
import { runIssue } from '../engine/run-issue.ts';
import { FactoryError } from '../errors.ts';
import { loadScenario } from '../scripted/scenario.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../scripted/server.ts';
import { git } from '../workspace/git.ts';
import { cloneRepository, rewritePolicy } from './clone.ts';
import { makeGateFixture } from './gate-slice.ts';

export const DEMO_SCENARIO = new URL('../../scenarios/demo.json', import.meta.url).pathname;

/** The demo's policy: the repository's own, with cheap validation and the gate on a corpus slice. */
export function demoPolicyPatch(
  gate: { corpus: string; datasets: string[] } | undefined,
): Record<string, unknown> {
  return {
    validate: [
      { name: 'lint', command: 'pnpm exec biome check rag-app/src/cli', timeoutSeconds: 120 },
      {
        name: 'test',
        command: 'pnpm exec vitest run --project rag-app rag-app/test/parse-video-ref.test.ts',
        timeoutSeconds: 300,
      },
    ],
    gate: gate ? { ...gate, timeoutSeconds: 600 } : undefined,
    merge: { method: 'squash', dailyCap: 10, verifyAfterMerge: true },
  };
}

export interface DemoResult {
  report: RunReport;
  /** The temporary copy of the repository the factory worked on (removed unless keep). */
  repoDir: string;
  forgeDir: string;
  workRoot: string;
  baseBefore: string;
  baseAfter: string;
  /** `git log --oneline` of the new commits on main. */
  newCommits: string[];
  model: { url: string; requests: number; unused: number };
  gate: 'slice' | 'none';
}

/**
 * Scenario (a) end to end, in a temporary clone of `sourceRepo`: the scripted model server replays
 * the scenario, the real engine takes the scenario's issue from a fresh local forge to a squash
 * merge (real git, real worktree, real validation commands, main's real evals gate on a corpus
 * slice when the shared data is there).
 */
export async function runDemo(options: {
  sourceRepo: string;
  scenarioPath?: string;
  sharedDir?: string | undefined;
  progress: (line: string) => void;
  env?: Record<string, string | undefined>;
  workRoot?: string;
  policyPatch?: Record<string, unknown>;
}): Promise<DemoResult> {
  const scenario = await loadScenario(options.scenarioPath ?? DEMO_SCENARIO);
  const workRoot = options.workRoot ?? (await mkdtemp(join(tmpdir(), 'factory-demo-')));
  const repoDir = join(workRoot, 'repo');
  const forgeDir = join(workRoot, 'forge');
  options.progress(
    `demo: cloning ${options.sourceRepo} into ${repoDir} (each worktree installs its dependencies offline from the pnpm store)`,
  );
  // The clone only holds branches and merges; commands run in worktrees, each with its own install.
  await cloneRepository({ source: options.sourceRepo, dir: repoDir, install: false });
  let gate: { corpus: string; datasets: string[] } | undefined;
  const shared = options.sharedDir;
  if (shared && existsSync(join(shared, 'corpus')) && existsSync(join(shared, 'evals'))) {
    const fixture = await makeGateFixture({ sharedDir: shared, dir: join(workRoot, 'gate-fixture') });
    gate = { corpus: fixture.corpusDir, datasets: fixture.datasets };
    const cases = Object.values(fixture.devCasesByKind).reduce((a, b) => a + b, 0);
    options.progress(
      `demo: evals gate on a slice of ${fixture.videoIds.length} videos and ${cases} dev cases`,
    );
  } else {
    options.progress(
      'demo: no shared corpus found (SHARED_DIR or ../shared): the run validates without the evals gate',
    );
  }
  await rewritePolicy(repoDir, { ...demoPolicyPatch(gate), ...options.policyPatch }, 'demo policy');
  const baseBefore = (await git(repoDir, ['rev-parse', 'main'])).stdout.trim();

  const forge = new LocalForge({ dir: forgeDir, logger: pino({ level: 'silent' }) });
  const numbers: number[] = [];
  for (const issue of scenario.issues ?? []) {
    const filed = await forge.createIssue({
      title: issue.title,
      body: issue.body,
      labels: issue.labels,
      ...(issue.author ? { author: issue.author } : {}),
    });
    if (issue.number !== undefined && filed.number !== issue.number) {
      throw new FactoryError(
        'usage',
        `the scenario expects issue #${issue.number}, the forge filed #${filed.number}`,
      );
    }
    numbers.push(filed.number);
  }
  const first = numbers[0];
  if (first === undefined) throw new FactoryError('usage', 'the demo scenario files no issue');

  let server: ScriptedModelServer | undefined;
  try {
    server = await startScriptedModelServer({ scenario });
    options.progress(
      `demo: scripted model server on ${server.url} (the model is scripted: ${options.scenarioPath ?? DEMO_SCENARIO})`,
    );
    const env = {
      ...(options.env ?? process.env),
      ANTHROPIC_API_KEY: 'scripted-demo-key',
      ANTHROPIC_BASE_URL: server.url,
      GITHUB_TOKEN: '',
      GITHUB_REPOSITORY: '',
      DATABASE_URL: '',
      FORGE_DIR: forgeDir,
      FACTORY_STORE_DIR: join(workRoot, 'store'),
      FACTORY_WORK_DIR: join(workRoot, 'work'),
    };
    await mkdir(join(workRoot, 'work'), { recursive: true });
    const engine = await openEngine({
      env,
      cwd: workRoot,
      repo: repoDir,
      base: 'main',
      progress: options.progress,
      needsModel: true,
    });
    let report: RunReport;
    try {
      report = await runIssue(engine.deps, { issue: first });
    } finally {
      await engine.close();
    }
    const baseAfter = (await git(repoDir, ['rev-parse', 'main'])).stdout.trim();
    const log = await git(repoDir, ['log', '--oneline', `${baseBefore}..${baseAfter}`]);
    return {
      report,
      repoDir,
      forgeDir,
      workRoot,
      baseBefore,
      baseAfter,
      newCommits: log.stdout.split('\n').filter(Boolean),
      model: { url: server.url, requests: server.requests.length, unused: server.remaining().length },
      gate: gate ? 'slice' : 'none',
    };
  } finally {
    await server?.close();
  }
}

export async function removeDemo(result: Pick<DemoResult, 'workRoot'>): Promise<void> {
  await rm(result.workRoot, { recursive: true, force: true });
}

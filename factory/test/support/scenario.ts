/**
 * Scenario harness: a temporary clone of this repository (real git, dependencies from the pnpm
 * store), a local forge, the scripted model server and the factory CLI run in-process (or as a
 * child process where a test kills it). Nothing is mocked: the engine, the tools, the sandbox,
 * git and the evals gate are the real ones.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalForge } from '@dark-factory/forge';
import pino from 'pino';
import { main } from '../../src/cli/main.ts';
import { cloneRepository, rewritePolicy } from '../../src/demo/clone.ts';
import type { ScenarioInput, ScenarioResponse } from '../../src/scripted/scenario.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../../src/scripted/server.ts';
import { git } from '../../src/workspace/git.ts';
import { REPO_ROOT } from './gate-fixture.ts';
import { seedStore } from './pglite-template.ts';

export { REPO_ROOT };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ScenarioRig {
  root: string;
  repoDir: string;
  forge: LocalForge;
  server: ScriptedModelServer;
  env: Record<string, string | undefined>;
  baseBefore: string;
  /** The factory CLI in this process, with the rig's environment. */
  cli(argv: string[]): Promise<CliResult>;
  /** The factory CLI as a child process (for kill tests). */
  spawnCli(argv: string[]): ReturnType<typeof spawn>;
  newCommits(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Main's gate measurement is shared by every scenario of one test run (the vitest process is the
 * workers' parent), and never reused by another run: latency is compared within one run only.
 */
export const GATE_CACHE_DIR = path.join(tmpdir(), `factory-gate-cache-${process.ppid}`);

/** A cheap validation for the scenarios that do not reach the gate. */
export const CHEAP_VALIDATE = [
  { name: 'lint', command: 'pnpm exec biome check rag-app/src/cli', timeoutSeconds: 120 },
];

const traceFile = process.env.FACTORY_SCENARIO_TRACE;
const traceStart = performance.now();
/**
 * With FACTORY_SCENARIO_TRACE=<file>, every progress line and harness phase is appended there with
 * the seconds since this worker loaded the harness (how the scenarios' time was profiled).
 */
export function trace(line: string): void {
  if (!traceFile) return;
  const secs = ((performance.now() - traceStart) / 1000).toFixed(1).padStart(6);
  const clock = new Date().toISOString().slice(11, 23);
  appendFileSync(traceFile, `${clock} ${secs}s [${process.pid}] ${line.trimEnd()}\n`);
}

/**
 * The rigs' run store: a copy of the migrated template (support/pglite-template.ts, shared with the
 * other factory tests: one template per key for the whole run). Each rig's factory then opens a real,
 * on-disk PGlite store; the fresh-store migration path is run-store.test's.
 */
export { seedQueue, seedStore, storeTemplate } from './pglite-template.ts';

/** tsx's loader from this repository (the clone has no node_modules, so not resolved from its cwd). */
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

export async function makeRig(options: {
  scenario: ScenarioInput;
  policy: Record<string, unknown>;
  /** Issues filed before the run, in order: #1, #2, … */
  issues: { title: string; body: string; author?: string; labels?: string[] }[];
  env?: Record<string, string | undefined>;
}): Promise<ScenarioRig> {
  const root = await mkdtemp(path.join(tmpdir(), 'factory-scenario-'));
  const repoDir = path.join(root, 'repo');
  trace('rig: clone');
  // The clone is where the factory keeps branches and merges: it runs nothing, so it needs no
  // dependencies (every worktree the factory runs commands in installs its own).
  await cloneRepository({ source: REPO_ROOT, dir: repoDir, install: false });
  trace('rig: policy');
  await rewritePolicy(repoDir, options.policy, 'scenario policy');
  trace('rig: store');
  await seedStore(path.join(root, 'store'));
  trace('rig: ready');
  const baseBefore = (await git(repoDir, ['rev-parse', 'main'])).stdout.trim();
  const forgeDir = path.join(root, 'forge');
  const forge = new LocalForge({ dir: forgeDir, logger: pino({ level: 'silent' }) });
  for (const issue of options.issues) {
    await forge.createIssue({
      title: issue.title,
      body: issue.body,
      labels: issue.labels,
      author: issue.author ?? 'alice',
    });
  }
  const server = await startScriptedModelServer({ scenario: options.scenario });
  await mkdir(path.join(root, 'work'), { recursive: true });
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG,
    CI: process.env.CI,
    SHARED_DIR: process.env.SHARED_DIR,
    INIT_CWD: repoDir,
    ANTHROPIC_API_KEY: 'scripted-test-key',
    ANTHROPIC_BASE_URL: server.url,
    FORGE_DIR: forgeDir,
    FACTORY_STORE_DIR: path.join(root, 'store'),
    FACTORY_WORK_DIR: path.join(root, 'work'),
    FACTORY_LEASE_SECONDS: '3',
    FACTORY_GATE_CACHE_DIR: GATE_CACHE_DIR,
    FACTORY_MODEL_RETRIES: '2',
    ...options.env,
  };
  const cli = async (argv: string[]): Promise<CliResult> => {
    trace(`cli ${argv.join(' ')}: start`);
    let stdout = '';
    let stderr = '';
    const { createContext } = await import('../../src/cli/context.ts');
    const base = createContext(env);
    const code = await main(argv, {
      ...base,
      out: (t) => {
        stdout += t.endsWith('\n') ? t : `${t}\n`;
      },
      err: (t) => {
        trace(t);
        stderr += t.endsWith('\n') ? t : `${t}\n`;
      },
    });
    trace(`cli ${argv.join(' ')}: exit ${code}`);
    return { code, stdout, stderr };
  };
  const spawnCli = (argv: string[]) =>
    spawn(
      process.execPath,
      ['--import', TSX_LOADER, path.join(REPO_ROOT, 'factory/src/cli/main.ts'), ...argv],
      {
        cwd: repoDir,
        env: env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  return {
    root,
    repoDir,
    forge,
    server,
    env,
    baseBefore,
    cli,
    spawnCli,
    newCommits: async () =>
      (await git(repoDir, ['log', '--format=%H %s', `${baseBefore}..main`])).stdout
        .split('\n')
        .filter(Boolean),
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * The help of `rag ask --k`: a real rag-app line the scripted agent edits (the demo's change). The
 * help names no default; ask retrieves 8 passages without --k (rag-app/src/open.ts).
 */
export const HELP_OLD = "    .option('--k <n>', 'passages to retrieve', positiveInt('--k'))";
export const HELP_NEW = "    .option('--k <n>', 'passages to retrieve (default 8)', positiveInt('--k'))";
/** The title the helpTextFix scenarios file their issue under. */
export const HELP_ISSUE = {
  title: 'Ask help omits the --k default',
  body: 'Without --k, ask retrieves 8 passages.',
};

/** Scripted model answers, one builder per step (the scenario format of src/scripted/scenario.ts). */
export const scripted = {
  triage: (issue: number, decision: 'accept' | 'reject' | 'needs-human' = 'accept'): ScenarioResponse => ({
    step: 'triage',
    issue,
    content: [
      {
        type: 'tool_use',
        name: 'triage_decision',
        input: {
          decision,
          kind: decision === 'accept' ? 'bug' : 'other',
          priority: decision === 'accept' ? 'normal' : 'low',
          reason: decision === 'accept' ? 'in scope' : 'out of scope',
        },
      },
    ],
  }),
  plan: (issue: number, files = ['rag-app/src/cli/main.ts']): ScenarioResponse => ({
    step: 'plan',
    issue,
    content: [
      {
        type: 'tool_use',
        name: 'submit_plan',
        input: { summary: 'change the help text', steps: ['edit'], files, risks: [] },
      },
    ],
  }),
  tool: (
    step: 'implement' | 'fix',
    issue: number,
    attempt: number,
    name: string,
    input: Record<string, unknown>,
  ): ScenarioResponse => ({ step, issue, attempt, content: [{ type: 'tool_use', name, input }] }),
  review: (
    issue: number,
    attempt: number,
    verdict: { solves_issue: boolean; summary: string; findings: unknown[] } = {
      solves_issue: true,
      summary: 'fine',
      findings: [],
    },
  ): ScenarioResponse => ({
    step: 'review',
    issue,
    attempt,
    content: [{ type: 'tool_use', name: 'review_verdict', input: verdict }],
  }),
};

/** The whole happy path of the help-text fix: accepted, planned, edited in one turn, approved. */
export function helpTextFix(issue = 1): ScenarioResponse[] {
  return [
    scripted.triage(issue),
    scripted.plan(issue),
    {
      step: 'implement',
      issue,
      attempt: 0,
      content: [
        {
          type: 'tool_use',
          name: 'edit_file',
          input: { path: 'rag-app/src/cli/main.ts', old_string: HELP_OLD, new_string: HELP_NEW },
        },
        { type: 'tool_use', name: 'done', input: { summary: 'fixed' } },
      ],
    },
    scripted.review(issue, 0),
  ];
}

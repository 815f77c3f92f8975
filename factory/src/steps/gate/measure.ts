import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnce } from '@dark-factory/kit/build-once';
import type { CommandRunnerOptions } from '../../tools/sandbox.ts';
import type { CommandResult, CommandRunner, SandboxBoundary } from '../../tools/types.ts';
import { type AppOutput, AppOutputSchema, type JudgeOutput, JudgeOutputSchema } from './schemas.ts';

/**
 * One measurement of one rag-app with the judge's evals, as two sandboxed processes:
 * - the app side (app-entry.ts) runs the measured app's own code: ingest, serve, a unix socket. Its
 *   sandbox sees the app's worktree and the corpus read-only; the holdout is hidden from it.
 * - the judge side (judge-entry.ts) runs main's evals CLI against that socket, with the datasets and
 *   the holdout readable. The app cannot reach this process, its files or its output: its verdict
 *   cannot be forged by the code it judges.
 * The factory starts the app side, waits for its socket (or its exit), runs the judge side, then
 * writes the stop file and waits for the app side to shut its server down.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const APP_ENTRY = path.join(here, 'app-entry.ts');
export const JUDGE_ENTRY = path.join(here, 'judge-entry.ts');
/** The workspace the factory runs from (its node_modules hold tsx and zod for the entries). */
export const FACTORY_ROOT = path.resolve(here, '..', '..', '..', '..');
const TSX_LOADER = import.meta.resolve('tsx');

export interface GateSandbox {
  boundary: SandboxBoundary;
  /** Where the sandbox takes PATH, LANG, TZ… from (default process.env). */
  env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** Scratch space for the gate's processes (data dirs, summaries, reports). */
  tmpRoot: string;
  bwrapPath?: string;
}

export type RunnerFactory = (options: CommandRunnerOptions) => Promise<CommandRunner>;

export interface MeasureOptions {
  side: 'main' | 'candidate';
  /** Worktree whose rag-app is measured. */
  appDir: string;
  /** The judge worktree (main at the base commit): its evals code scores the app. */
  judgeDir: string;
  corpusDir: string;
  datasets: string[];
  holdoutDatasets: string[];
  holdoutDir?: string | undefined;
  /** More directories the app side must not see (the gate's cache, the factory's state). */
  hideFromApp?: readonly string[];
  sandbox: GateSandbox;
  createRunner: RunnerFactory;
  timeoutMs: number;
  concurrency?: number;
  /**
   * The apps' PGlite initdb cache (rag-app's PGLITE_INITDB_CACHE): main's app makes one in its own
   * scratch space and it is kept here once main was measured; a candidate's app copies its new
   * store from it, read-only (it can read main's cache, never write what main or another candidate
   * reads). Absent: each app runs initdb.
   */
  initdbCache?: string;
}

export type Measurement =
  | { ok: true; judge: JudgeOutput; app: AppOutput; durationMs: number }
  | {
      ok: false;
      stage: 'app' | 'judge';
      /** One line: what went wrong. */
      reason: string;
      /** The app side's trimmed log (never the judge side's: it may name holdout cases). */
      appOutput: string;
      durationMs: number;
    };

/** Resolves when `file` exists, or undefined when `cancelled()` turns true first. */
function waitForFile(file: string, cancelled: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (existsSync(file)) resolve(true);
      else if (cancelled()) resolve(false);
      else setTimeout(check, 50);
    };
    check();
  });
}

/** The last `<prefix>: …` line an entry printed (its own failure message), else the last line. */
function lastLine(output: string, prefix: string): string {
  const lines = output.split('\n').filter((l) => l.trim());
  return [...lines].reverse().find((l) => l.startsWith(`${prefix}: `)) ?? lines.at(-1) ?? '(no output)';
}

function describeExit(r: CommandResult): string {
  return r.timedOut ? 'timed out' : r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
}

export async function measure(options: MeasureOptions): Promise<Measurement> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  await mkdir(options.sandbox.tmpRoot, { recursive: true });
  const sideDir = await mkdtemp(path.join(options.sandbox.tmpRoot, `${options.side}-`));
  await mkdir(path.join(sideDir, 'judge-work'));
  // A unix socket path must stay under ~100 bytes: its directory is a short one in the system temp.
  const socketDir = await mkdtemp(path.join(tmpdir(), 'gate-'));
  const socket = path.join(socketDir, 'app.sock');
  const stopFile = path.join(socketDir, 'stop');
  const env = (options.sandbox.env ?? process.env) as NodeJS.ProcessEnv;
  const common = {
    boundary: options.sandbox.boundary,
    protectedPaths: [],
    env,
    ...(options.sandbox.bwrapPath ? { bwrapPath: options.sandbox.bwrapPath } : {}),
  };
  const cache = initdbCacheFor(options, sideDir);
  try {
    const appRunner = await options.createRunner({
      ...common,
      worktree: socketDir,
      tmpDir: path.join(sideDir, 'app-tmp'),
      readOnlyPaths: [options.appDir, options.corpusDir, FACTORY_ROOT, ...cache.readOnly],
      hidden: [...(options.holdoutDir ? [options.holdoutDir] : []), ...(options.hideFromApp ?? [])],
    });
    const judgeRunner = await options.createRunner({
      ...common,
      worktree: path.join(sideDir, 'judge-work'),
      tmpDir: path.join(sideDir, 'judge-tmp'),
      readOnlyPaths: [
        options.judgeDir,
        socketDir,
        ...new Set([...options.datasets, ...options.holdoutDatasets].map((d) => path.dirname(d))),
        ...(options.holdoutDir ? [options.holdoutDir] : []),
        FACTORY_ROOT,
      ],
      hidden: [],
    });

    let appDone = false;
    const appRun = appRunner
      .run(
        [
          process.execPath,
          '--import',
          TSX_LOADER,
          APP_ENTRY,
          '--app',
          options.appDir,
          '--corpus',
          options.corpusDir,
          '--data-dir',
          path.join(sideDir, 'app-tmp', 'data'),
          '--socket',
          socket,
          '--stop-file',
          stopFile,
          ...(cache.argument ? ['--initdb-cache', cache.argument] : []),
        ],
        { timeoutMs: options.timeoutMs, fullStdout: true },
      )
      .finally(() => {
        appDone = true;
      });

    const served = await waitForFile(socket, () => appDone);
    if (!served) {
      const app = await appRun;
      return {
        ok: false,
        stage: 'app',
        reason: `${options.side}'s rag-app could not be served (${describeExit(app)}): ${lastLine(app.output, 'gate app')}`,
        appOutput: app.output,
        durationMs: elapsed(),
      };
    }

    const argv = [
      process.execPath,
      '--import',
      TSX_LOADER,
      JUDGE_ENTRY,
      '--judge',
      options.judgeDir,
      '--socket',
      socket,
      '--concurrency',
      String(options.concurrency ?? 4),
    ];
    for (const d of options.datasets) argv.push('--dataset', d);
    for (const d of options.holdoutDatasets) argv.push('--holdout-dataset', d);
    let judge: CommandResult;
    try {
      judge = await judgeRunner.run(argv, { timeoutMs: options.timeoutMs, fullStdout: true });
    } finally {
      await writeFile(stopFile, 'stop\n');
    }
    const app = await appRun;

    if (app.exitCode !== 0) {
      return {
        ok: false,
        stage: 'app',
        reason: `${options.side}'s rag-app failed while it was judged (${describeExit(app)}): ${lastLine(app.output, 'gate app')}`,
        appOutput: app.output,
        durationMs: elapsed(),
      };
    }
    if (judge.exitCode !== 0) {
      return {
        ok: false,
        stage: 'judge',
        reason: `the judge's evals run over ${options.side} failed (${describeExit(judge)}): ${lastLine(judge.output, 'gate judge')}`,
        appOutput: app.output,
        durationMs: elapsed(),
      };
    }
    const appOut = AppOutputSchema.safeParse(parseJson(app.stdout));
    const judgeOut = JudgeOutputSchema.safeParse(parseJson(judge.stdout));
    if (!appOut.success || !judgeOut.success) {
      const stage = judgeOut.success ? 'app' : 'judge';
      return {
        ok: false,
        stage,
        reason: `the ${stage} side over ${options.side} printed no valid result`,
        appOutput: app.output,
        durationMs: elapsed(),
      };
    }
    await cache.keep();
    return { ok: true, judge: judgeOut.data, app: appOut.data, durationMs: elapsed() };
  } finally {
    await rm(socketDir, { recursive: true, force: true }).catch(() => undefined);
    for (const scratch of ['data', 'pglite-initdb']) {
      await rm(path.join(sideDir, 'app-tmp', scratch), { recursive: true, force: true }).catch(
        () => undefined,
      );
    }
  }
}

interface InitdbCacheUse {
  /** `--initdb-cache` for the app side, if any. */
  argument?: string;
  readOnly: string[];
  /** After a successful measurement: keeps what main's app made, for the candidates. */
  keep(): Promise<void>;
}

function initdbCacheFor(options: MeasureOptions, sideDir: string): InitdbCacheUse {
  const shared = options.initdbCache;
  const none = { readOnly: [], keep: async () => {} };
  if (!shared) return none;
  if (options.side === 'candidate') {
    // Without main's cache, `off`: a cache in the sandbox's own /tmp would only cost a copy.
    return existsSync(shared)
      ? { argument: shared, readOnly: [shared], keep: none.keep }
      : { ...none, argument: 'off' };
  }
  const made = path.join(sideDir, 'app-tmp', 'pglite-initdb');
  return {
    argument: made,
    readOnly: [],
    keep: async () => {
      if (existsSync(shared) || !existsSync(made)) return;
      // Copied aside and renamed in (kit's buildOnce): a candidate never sees half of it.
      await buildOnce(shared, (into) => cp(made, into, { recursive: true })).catch(() => undefined);
    },
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

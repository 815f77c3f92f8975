import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '../../errors.ts';
import { HOLDOUT_MARKER } from '../../policy/holdout.ts';
import type { GatePolicy } from '../../policy/schema.ts';
import { createCommandRunner } from '../../tools/sandbox.ts';
import { type CachedMain, mainCacheKey, measureMainOnce, writeCachedMain } from './cache.ts';
import { withMeasureLock } from './host-lock.ts';
import { FACTORY_ROOT, type GateSandbox, type Measurement, measure, type RunnerFactory } from './measure.ts';
import {
  type EvalsGateResult,
  EvalsGateResultSchema,
  type GateResult,
  type HoldoutResult,
  holdoutResult,
  latencyCheck,
  type MeasurementTimings,
  metricComparisons,
  needsLatencyRecheck,
  unmeasuredHoldout,
} from './result.ts';
import { judgeVerdict, type Verdict } from './verdict.ts';

export type { GateSandbox, RunnerFactory } from './measure.ts';
export {
  type EvalsGateResult,
  EvalsGateResultSchema,
  type GateResult,
  GateResultSchema,
  type HoldoutResult,
  HoldoutResultSchema,
  type MetricComparison,
} from './result.ts';

/**
 * The evals gate: "the judge comes from main". Main's rag-app (the judge worktree at the base
 * commit) and the candidate's are each measured by main's evals code (measure.ts: the app and the
 * judge in separate sandboxes); main's measurement is cached, and made once by gates running at the
 * same time on one base (cache.ts: the others wait for it). Then main's `evals gate` decides with
 * main's evals/gate.json (floors, allowed drops judged on a paired bootstrap, latency against main
 * measured on this machine). The holdout, when configured, is run against the same servers and
 * gated the same way, and only its pass/fail and aggregates are kept.
 *
 * Latency is the one figure that depends on the moment: when the candidate fails on latency alone
 * (dev sets or holdout), main is measured again right after it and the gate decides on that pair,
 * measured back to back on this machine (a busy machine must not fail a good change; a real
 * slowdown still fails against the fresh main). Once per gate; the result says so.
 *
 * Throws FactoryError('gate_error') when the judge itself cannot decide (main cannot be measured,
 * the datasets or corpus are missing, evals gate exits 2); a candidate that cannot be served or
 * judged is a failed gate whose report says why.
 */
export interface EvalsGateOptions {
  /** Worktree of the base commit with its dependencies installed: its evals code is the judge. */
  judgeDir: string;
  /** The candidate's worktree (dependencies installed). */
  candidateDir: string;
  gate: GatePolicy;
  /** The holdout directory (already resolved and checked), when configured. */
  holdoutDir?: string | undefined;
  /** The repository: relative gate paths resolve against it; files inside it are read from the judge. */
  repoDir: string;
  /** Where main's measurements are cached (by base commit, gate config and data). */
  cacheDir: string;
  sandbox: GateSandbox;
  onProgress?: (line: string) => void;
  /** Default: the factory's sandbox (tools/sandbox.ts). */
  createRunner?: RunnerFactory;
  /** Cases in flight per evals run (default 4). */
  concurrency?: number;
}

/**
 * A gate path: relative ones resolve against the repository; a file inside the repository is read
 * from the judge worktree (main's copy at the base commit, never the working tree or the branch).
 */
export function resolveGatePath(p: string, repoDir: string, judgeDir: string): string {
  const abs = path.resolve(repoDir, p);
  const rel = path.relative(path.resolve(repoDir), abs);
  const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  return inside ? path.join(judgeDir, rel) : abs;
}

/** The holdout's datasets: the policy's names inside the directory, else every *.jsonl but facts files. */
export async function holdoutDatasets(
  holdoutDir: string,
  names: readonly string[] | undefined,
): Promise<string[]> {
  if (!existsSync(path.join(holdoutDir, HOLDOUT_MARKER))) {
    throw new FactoryError('gate_error', `the holdout directory has no ${HOLDOUT_MARKER} marker`, {
      holdoutDir,
    });
  }
  const list =
    names && names.length > 0
      ? [...names]
      : (await readdir(holdoutDir)).filter((f) => f.endsWith('.jsonl') && !f.endsWith('.facts.jsonl')).sort();
  const files = list.map((name) => {
    const file = path.resolve(holdoutDir, name);
    if (path.dirname(file) !== path.resolve(holdoutDir)) {
      throw new FactoryError('gate_error', `holdout dataset ${name} is not a file name inside the holdout`, {
        name,
      });
    }
    if (!existsSync(file))
      throw new FactoryError('gate_error', `holdout dataset ${name} is missing`, { name });
    return file;
  });
  if (files.length === 0)
    throw new FactoryError('gate_error', 'the holdout directory holds no *.jsonl dataset', {});
  return files;
}

function timingsOf(m: {
  durationMs: number;
  app?: CachedMain['app'];
  judge?: CachedMain['judge'];
}): MeasurementTimings {
  return {
    durationMs: m.durationMs,
    ingestMs: m.app?.timings.ingestMs ?? null,
    serverStartMs: m.app?.timings.serverStartMs ?? null,
    evalsMs: m.judge?.timings.evalsMs ?? null,
    holdoutMs: m.judge?.timings.holdoutMs ?? null,
  };
}

/** Extra measurements of both sides after a latency-only failure. */
const LATENCY_ROUNDS = 2;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const TAIL_CHARS = 4000;

/** The report for a candidate that could not be measured: what failed and the app's log tail. */
function unmeasuredReport(m: Extract<Measurement, { ok: false }>): string {
  const tail = m.appOutput.length > TAIL_CHARS ? `…${m.appOutput.slice(-TAIL_CHARS)}` : m.appOutput;
  return [
    '### Evals: ❌ the candidate could not be measured',
    '',
    m.reason,
    '',
    "The candidate's rag-app (ingest of the gate corpus, then `serve`) is what main's evals run against.",
    '',
    '<details><summary>rag-app log (tail)</summary>',
    '',
    '```',
    tail.replace(/```/g, "'''"),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}

export async function runEvalsGate(options: EvalsGateOptions): Promise<EvalsGateResult> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const createRunner = options.createRunner ?? createCommandRunner;
  const concurrency = options.concurrency ?? 4;
  const corpusDir = resolveGatePath(options.gate.corpus, options.repoDir, options.judgeDir);
  const datasets = options.gate.datasets.map((d) => resolveGatePath(d, options.repoDir, options.judgeDir));
  if (!existsSync(corpusDir) || !statSync(corpusDir).isDirectory()) {
    throw new FactoryError('gate_error', `the gate corpus ${options.gate.corpus} is missing`, { corpusDir });
  }
  for (const d of datasets) {
    if (!existsSync(d)) throw new FactoryError('gate_error', `gate dataset ${d} is missing`, { dataset: d });
  }
  const holdout = options.holdoutDir
    ? await holdoutDatasets(options.holdoutDir, options.gate.holdoutDatasets)
    : [];
  const timeoutMs = options.gate.timeoutSeconds * 1000;
  const { key, judgeSha } = await mainCacheKey({
    judgeDir: options.judgeDir,
    gate: options.gate,
    corpusDir,
    datasets,
    holdoutDatasets: holdout,
    concurrency,
  });
  const short = judgeSha.slice(0, 7);
  // One measurement at a time on this machine (host-lock.ts): latency is compared across moments.
  const measureSide = (side: 'main' | 'candidate') =>
    withMeasureLock(
      () =>
        measure({
          side,
          appDir: side === 'main' ? options.judgeDir : options.candidateDir,
          judgeDir: options.judgeDir,
          corpusDir,
          datasets,
          holdoutDatasets: holdout,
          holdoutDir: options.holdoutDir,
          hideFromApp: [options.cacheDir],
          initdbCache: path.join(options.cacheDir, 'pglite-initdb'),
          sandbox: options.sandbox,
          createRunner,
          timeoutMs,
          concurrency,
        }),
      {
        onWait: (holder) =>
          progress(
            `gate: another measurement is running on this machine (pid ${holder.pid}): waiting for it`,
          ),
      },
    );

  const measureMain = async (): Promise<CachedMain> => {
    progress(`gate: measuring main (${short}) with its own evals`);
    const m = await measureSide('main');
    if (!m.ok) {
      throw new FactoryError('gate_error', `main (${short}) could not be measured: ${m.reason}`, {
        stage: m.stage,
        judgeSha,
        output: m.appOutput.slice(-TAIL_CHARS),
      });
    }
    const entry: CachedMain = {
      key,
      measuredAt: new Date().toISOString(),
      judgeSha,
      judge: m.judge,
      app: m.app,
      durationMs: m.durationMs,
    };
    await writeCachedMain(options.cacheDir, entry);
    progress(`gate: main measured in ${secs(m.durationMs)} (${m.judge.summary.cases} cases)`);
    return entry;
  };

  // Once per base however many gates run at once: a gate that finds main being measured waits for it.
  const first = await measureMainOnce(options.cacheDir, key, measureMain, {
    staleMs: 2 * timeoutMs + 60_000,
    onWait: (holder) =>
      progress(`gate: main (${short}) is being measured by another gate (pid ${holder.pid}): waiting for it`),
  });
  const cached = first.cached ? first.entry : null;
  if (cached) progress(`gate: main (${short}) from the cache (measured ${cached.measuredAt})`);
  let main = first.entry;

  progress('gate: measuring the candidate with main’s evals');
  const firstCandidate = await measureSide('candidate');
  if (!firstCandidate.ok) {
    const candidate = firstCandidate;
    progress(`gate: FAIL — ${candidate.reason}`);
    const gate: GateResult = {
      pass: false,
      exitCode: null,
      markdown: unmeasuredReport(candidate),
      reasons: [candidate.reason],
      metrics: [],
      latency: null,
      failedCalls: null,
      cases: null,
      method: null,
      mainCached: cached !== null,
      latencyRecheck: false,
      judgeSha,
      measurements: { main: timingsOf(main), candidate: timingsOf(candidate) },
      durationMs: Math.round(performance.now() - started),
    };
    return EvalsGateResultSchema.parse({ gate, holdout: options.holdoutDir ? unmeasuredHoldout() : null });
  }
  let candidate = firstCandidate;
  progress(`gate: candidate measured in ${secs(candidate.durationMs)}`);

  const verdictDir = await mkdtemp(path.join(options.sandbox.tmpRoot, 'verdict-'));
  await mkdir(path.join(verdictDir, 'tmp'), { recursive: true });
  const verdictRunner = await createRunner({
    boundary: options.sandbox.boundary,
    worktree: verdictDir,
    tmpDir: path.join(verdictDir, 'tmp'),
    protectedPaths: [],
    readOnlyPaths: [options.judgeDir, FACTORY_ROOT],
    hidden: [],
    env: (options.sandbox.env ?? process.env) as NodeJS.ProcessEnv,
    ...(options.sandbox.bwrapPath ? { bwrapPath: options.sandbox.bwrapPath } : {}),
  });
  const decide = async (m: CachedMain): Promise<{ dev: Verdict; held: Verdict | null }> => {
    const dev = await judgeVerdict({
      runner: verdictRunner,
      judgeDir: options.judgeDir,
      dir: verdictDir,
      main: m.judge.summary,
      candidate: candidate.judge.summary,
      label: 'dev',
      markdown: true,
    });
    const mainHeld = m.judge.holdoutSummary;
    const candHeld = candidate.judge.holdoutSummary;
    const held =
      mainHeld && candHeld
        ? await judgeVerdict({
            runner: verdictRunner,
            judgeDir: options.judgeDir,
            dir: verdictDir,
            main: mainHeld,
            candidate: candHeld,
            label: 'holdout',
            markdown: false,
          })
        : null;
    return { dev, held };
  };

  let { dev, held } = await decide(main);
  let latencyRecheck = false;
  // Latency is the one figure a busy machine distorts: a failure on latency alone is measured again,
  // both sides, in the other order (candidate first, then main), up to LATENCY_ROUNDS times; a real
  // slowdown fails every round, a load spike does not fail a good change.
  for (
    let round = 1;
    round <= LATENCY_ROUNDS && needsLatencyRecheck(dev.verdict, held?.verdict ?? null);
    round++
  ) {
    const slow = [dev, held].filter((v): v is Verdict => v !== null && v.verdict.latency?.status === 'fail');
    const p95 = slow.map(
      (v) => `p95 ${v.verdict.latency?.candidate} ms vs main's ${v.verdict.latency?.baseline} ms`,
    );
    progress(
      `gate: the candidate failed on latency alone (${p95.join('; ')}): measuring both again (round ${round} of ${LATENCY_ROUNDS})`,
    );
    const again = await measureSide('candidate');
    if (!again.ok) break;
    candidate = again;
    main = await measureMain();
    ({ dev, held } = await decide(main));
    latencyRecheck = true;
  }
  if (options.holdoutDir && !held) {
    throw new FactoryError('gate_error', 'the holdout was configured but not measured', {});
  }

  const v = dev.verdict;
  const gate: GateResult = {
    pass: v.pass,
    exitCode: dev.exitCode,
    markdown: dev.markdown ?? '',
    reasons: v.reasons,
    metrics: metricComparisons(v),
    latency: latencyCheck(v),
    failedCalls: { main: v.errors.baseline, candidate: v.errors.candidate, status: v.errors.status },
    cases: { main: v.baselineCases, candidate: v.candidateCases, paired: v.pairedCases },
    method: v.method,
    mainCached: cached !== null && !latencyRecheck,
    latencyRecheck,
    judgeSha,
    measurements: { main: timingsOf(main), candidate: timingsOf(candidate) },
    durationMs: Math.round(performance.now() - started),
  };
  const holdoutOut: HoldoutResult | null = held ? holdoutResult(held.verdict, held.exitCode) : null;
  progress(`gate: ${gate.pass ? 'PASS' : `FAIL — ${gate.reasons.join('; ')}`}`);
  if (holdoutOut) {
    progress(`holdout: ${holdoutOut.pass ? 'PASS' : `FAIL (${holdoutOut.failed.join(', ')})`}`);
  }
  return EvalsGateResultSchema.parse({ gate, holdout: holdoutOut });
}

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '../../errors.ts';
import type { CommandRunner } from '../../tools/types.ts';
import { type EvalsGateVerdict, EvalsGateVerdictSchema, type EvalsSummary } from './schemas.ts';

const TSX_LOADER = import.meta.resolve('tsx');
const GATE_CLI_TIMEOUT_MS = 120_000;
/** No person reads what the factory merges: a change passes only when it shows it is not worse. */
export const GATE_MODE = 'non-inferiority';

export interface Verdict {
  /** 0 pass, 1 fail (the judge's evals CLI's own exit code). */
  exitCode: 0 | 1;
  verdict: EvalsGateVerdict;
  /** Present when asked for (`markdown: true`). */
  markdown?: string;
}

/**
 * Runs the judge's `evals gate --baseline main.json --candidate candidate.json --config
 * <judge>/evals/gate.json --mode non-inferiority --reference main.json [--md gate.md] --json -` in
 * `dir` (the runner's worktree), on summaries written there. Unattended changes carry the burden of
 * proof (non-inferiority, whatever gate.json's mode); main is the latency reference because it was
 * measured on this machine beside the candidate (index.ts measures both again after a latency-only
 * failure). Exit 0/1 is the decision, and must agree with the printed verdict; anything else
 * (2 = bad input, a crash, a timeout) is the judge failing: FactoryError('gate_error').
 */
export async function judgeVerdict(options: {
  runner: CommandRunner;
  judgeDir: string;
  dir: string;
  main: EvalsSummary;
  candidate: EvalsSummary;
  /** File name stem: `main.json`/`candidate.json` for the dev sets, `main-holdout.json`… for the holdout. */
  label: 'dev' | 'holdout';
  markdown: boolean;
}): Promise<Verdict> {
  const suffix = options.label === 'holdout' ? '-holdout' : '';
  const baseline = `main${suffix}.json`;
  const candidate = `candidate${suffix}.json`;
  await writeFile(path.join(options.dir, baseline), JSON.stringify(options.main));
  await writeFile(path.join(options.dir, candidate), JSON.stringify(options.candidate));
  const cli = path.join(options.judgeDir, 'evals', 'src', 'cli', 'main.ts');
  const argv = [
    process.execPath,
    '--import',
    TSX_LOADER,
    cli,
    'gate',
    '--baseline',
    baseline,
    '--candidate',
    candidate,
    '--config',
    path.join(options.judgeDir, 'evals', 'gate.json'),
    '--mode',
    GATE_MODE,
    '--reference',
    baseline,
    '--json',
    '-',
  ];
  const mdFile = `gate${suffix}.md`;
  if (options.markdown) argv.push('--md', mdFile);
  const result = await options.runner.run(argv, {
    timeoutMs: GATE_CLI_TIMEOUT_MS,
    fullStdout: true,
    cwd: options.dir,
  });
  const context = {
    label: options.label,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
  };
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    // The holdout's log may name its files but never its cases (sealed summaries hold none).
    const why = result.output.trim().split('\n').at(-1) ?? '';
    throw new FactoryError(
      'gate_error',
      `the judge's evals gate failed to decide (${label(result)}): ${why}`,
      context,
    );
  }
  let verdict: EvalsGateVerdict;
  try {
    verdict = EvalsGateVerdictSchema.parse(JSON.parse(result.stdout ?? ''));
  } catch (err) {
    throw new FactoryError('gate_error', "the judge's evals gate printed no verdict JSON", context, {
      cause: err,
    });
  }
  if (verdict.pass !== (result.exitCode === 0)) {
    throw new FactoryError('gate_error', "the judge's evals gate exit code contradicts its verdict", {
      ...context,
      pass: verdict.pass,
    });
  }
  const out: Verdict = { exitCode: result.exitCode, verdict };
  if (options.markdown) out.markdown = await readFile(path.join(options.dir, mdFile), 'utf8');
  return out;
}

function label(r: { exitCode: number | null; signal: string | null; timedOut: boolean }): string {
  return r.timedOut ? 'timed out' : r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
}

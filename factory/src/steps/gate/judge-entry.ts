/**
 * The gate's judge side: main's evals CLI scores one served rag-app, inside a sandbox of its own
 * (the app under test runs in another one and cannot see the holdout, this process or its output).
 *
 *   node --import tsx judge-entry.ts --judge <judge worktree> --socket <app.sock>
 *     --dataset <file.jsonl>… [--holdout-dataset <file.jsonl>…] [--concurrency 4]
 *
 * Opens a loopback port forwarded to the app's unix socket, then runs `<judge>/evals/src/cli/main.ts
 * run --url http://127.0.0.1:<port> --dataset … --json -` — the judge's evals code, never the
 * branch's — and again over the holdout sets (evals seals that run: their directory holds a HOLDOUT
 * marker; the sealing is checked here). Both runs call that CLI's exported `main(argv, ctx)` in this
 * process, stdout captured: two node + tsx start-ups fewer per measurement (about 4 s of CPU), the
 * same code and arguments. stdout: one JSON document (JudgeOutput).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextSink } from '@dark-factory/kit/cli';
import { z } from 'zod';
import {
  EntryFailure,
  forward,
  isEntryModule,
  parseEntryArguments,
  runEntry,
  seconds,
} from './entry-support.ts';
import { type EvalsSummary, EvalsSummarySchema, GATE_ENTRY_VERSION, type JudgeOutput } from './schemas.ts';

const ArgsSchema = z.object({
  judge: z.string().min(1, '--judge <worktree> is required'),
  socket: z.string().min(1, '--socket <path> is required'),
  dataset: z.array(z.string().min(1)).min(1, 'give at least one --dataset'),
  holdoutDataset: z.array(z.string().min(1)).default([]),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
});
type Args = z.infer<typeof ArgsSchema>;

function parseArguments(argv: string[]): Args {
  const options = {
    judge: { type: 'string' },
    socket: { type: 'string' },
    dataset: { type: 'string', multiple: true },
    'holdout-dataset': { type: 'string', multiple: true },
    concurrency: { type: 'string' },
  } as const;
  return parseEntryArguments(argv, options, ArgsSchema, (values) => ({
    judge: values.judge,
    socket: values.socket,
    dataset: values.dataset ?? [],
    holdoutDataset: values['holdout-dataset'],
    concurrency: values.concurrency,
  }));
}

const log = (line: string) => process.stderr.write(`gate judge: ${line}\n`);

/** No model key reaches evals: no LLM judge, nothing leaves the machine, same figures on both sides. */
export function evalsEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (!/^(ANTHROPIC_|EVALS_JUDGE|INIT_CWD|LOG_LEVEL)/.test(name)) env[name] = value;
  }
  return { ...env, LOG_LEVEL: 'warn' };
}

/** The judge's evals CLI as it exports itself: `main(argv, ctx)` → exit code (evals/src/cli/main.ts). */
type EvalsMain = (
  argv: string[],
  ctx: { env: NodeJS.ProcessEnv; cwd: string; stdout: TextSink; stderr: TextSink },
) => Promise<number>;

async function loadEvalsMain(judgeDir: string): Promise<EvalsMain> {
  const cli = path.join(judgeDir, 'evals', 'src', 'cli', 'main.ts');
  const mod = (await import(pathToFileURL(cli).href)) as { main?: unknown };
  if (typeof mod.main !== 'function') {
    throw new EntryFailure(`the judge's evals CLI exports no main(argv, ctx): ${cli}`, 2);
  }
  return mod.main as EvalsMain;
}

async function evalsRun(
  evals: EvalsMain,
  args: Args,
  url: string,
  datasets: string[],
): Promise<EvalsSummary> {
  const argv = ['run', '--url', url, '--concurrency', String(args.concurrency), '--json', '-'];
  for (const d of datasets) argv.push('--dataset', d);
  const out: string[] = [];
  const code = await evals(argv, {
    env: evalsEnv(process.env),
    cwd: args.judge,
    stdout: { write: (text: string) => out.push(text) },
    stderr: process.stderr,
  });
  if (code !== 0) throw new EntryFailure(`the judge's evals run failed (exit ${code})`);
  try {
    return EvalsSummarySchema.parse(JSON.parse(out.join('')));
  } catch (err) {
    throw new EntryFailure(
      `the judge's evals run printed no summary JSON: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

export async function main(argv: string[]): Promise<JudgeOutput> {
  const args = parseArguments(argv);
  const cli = path.join(args.judge, 'evals', 'src', 'cli', 'main.ts');
  if (!existsSync(cli)) throw new EntryFailure(`the judge's evals CLI is missing: ${cli}`, 2);
  for (const d of [...args.dataset, ...args.holdoutDataset]) {
    if (!existsSync(d)) throw new EntryFailure(`a dataset is missing: ${d}`, 2);
  }
  if (!existsSync(args.socket)) throw new EntryFailure(`the app's socket is missing: ${args.socket}`, 2);
  const evals = await loadEvalsMain(args.judge);
  const bridge = await forward({ port: 0, host: '127.0.0.1' }, { path: args.socket });
  const url = `http://127.0.0.1:${bridge.port}`;
  try {
    let t = performance.now();
    const summary = await evalsRun(evals, args, url, args.dataset);
    const evalsMs = performance.now() - t;
    if (summary.holdout) throw new EntryFailure('the dev datasets lie in a holdout directory');
    log(`${summary.cases} cases in ${seconds(evalsMs)}, ${summary.errors} failed call(s)`);
    let holdoutSummary: EvalsSummary | undefined;
    let holdoutMs: number | undefined;
    if (args.holdoutDataset.length) {
      t = performance.now();
      holdoutSummary = await evalsRun(evals, args, url, args.holdoutDataset);
      holdoutMs = performance.now() - t;
      if (!holdoutSummary.holdout || holdoutSummary.results !== undefined) {
        throw new EntryFailure('the holdout run was not sealed (no HOLDOUT marker beside its datasets?)');
      }
      log(`holdout: ${holdoutSummary.cases} cases in ${seconds(holdoutMs)}`);
    }
    return {
      version: GATE_ENTRY_VERSION,
      summary,
      ...(holdoutSummary ? { holdoutSummary } : {}),
      timings: {
        evalsMs: Math.round(evalsMs),
        ...(holdoutMs !== undefined ? { holdoutMs: Math.round(holdoutMs) } : {}),
      },
    };
  } finally {
    await bridge.close();
  }
}

if (isEntryModule(import.meta.url)) runEntry('gate judge', main);

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { httpClient, type RagClient } from '../client.ts';
import { type LoadedSuite, loadSuite } from '../dataset.ts';
import { openInProcessClient } from '../inprocess.ts';
import { DATASETS_DIR } from '../paths.ts';
import { type CliContext, cliLogger, resolveUserPath, shown } from './context.ts';

export async function openClient(
  ctx: CliContext,
  url: string | undefined,
): Promise<{ client: RagClient; name: string }> {
  if (url) return { client: httpClient(url), name: `http ${url}` };
  return { client: await openInProcessClient(ctx.env, ctx.cwd), name: 'in-process' };
}

export async function loadUserSuite(
  ctx: CliContext,
  datasets: string[],
  facts: string[],
  autoFacts: boolean,
): Promise<LoadedSuite> {
  const suite = await loadSuite(
    datasets.map((d) => resolveUserPath(ctx, d)),
    {
      facts: facts.map((f) => resolveUserPath(ctx, f)),
      autoFacts,
      factsDir: DATASETS_DIR,
      display: (p) => shown(ctx, p),
    },
  );
  if (suite.warnings.length) {
    const logger = cliLogger(ctx);
    for (const w of suite.warnings) logger.warn(w);
  }
  return suite;
}

/** Writes a file given by the user (`-` = stdout), creating its directory. */
export async function writeOutput(ctx: CliContext, file: string, text: string): Promise<void> {
  if (file === '-') {
    ctx.stdout.write(text);
    return;
  }
  const abs = resolveUserPath(ctx, file);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, text);
}

export interface ProgressBar {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr, drawn only when stderr is a terminal (CI logs and tests get nothing). */
export function progressBar(ctx: CliContext, label: string): ProgressBar {
  if (!ctx.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      // cli-progress draws on a terminal stream; the context's stderr is one when isTTY says so.
      stream: ctx.stderr as NodeJS.WriteStream,
      format: `${label} [{bar}] {value}/{total} cases · {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

export const collect = (v: string, prev: string[] = []) => [...prev, v];

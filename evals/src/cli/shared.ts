import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { httpClient, type RagClient } from '../client.ts';
import { type LoadedSuite, loadSuite } from '../dataset.ts';
import { openInProcessClient } from '../inprocess.ts';
import { logger } from '../log.ts';
import { DATASETS_DIR, displayPath, userCwd } from '../paths.ts';

/** Where relative paths given by the user are anchored: the directory pnpm was run from. */
export function resolveUserPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(userCwd(env), p);
}

export function shown(abs: string, env: NodeJS.ProcessEnv = process.env): string {
  return displayPath(abs, userCwd(env));
}

export async function openClient(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ client: RagClient; name: string }> {
  if (url) return { client: httpClient(url), name: `http ${url}` };
  return { client: await openInProcessClient(env, userCwd(env)), name: 'in-process' };
}

export async function loadUserSuite(
  datasets: string[],
  facts: string[],
  autoFacts: boolean,
): Promise<LoadedSuite> {
  const suite = await loadSuite(
    datasets.map((d) => resolveUserPath(d)),
    {
      facts: facts.map((f) => resolveUserPath(f)),
      autoFacts,
      factsDir: DATASETS_DIR,
      display: (p) => shown(p),
    },
  );
  for (const w of suite.warnings) logger.warn(w);
  return suite;
}

/** Writes a file given by the user (`-` = stdout), creating its directory. */
export async function writeOutput(file: string, text: string): Promise<void> {
  if (file === '-') {
    process.stdout.write(text);
    return;
  }
  const abs = resolveUserPath(file);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, text);
}

/** A progress bar on stderr (silent when stderr is not a terminal). */
export function progressBar(label: string): { update(done: number, total: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
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

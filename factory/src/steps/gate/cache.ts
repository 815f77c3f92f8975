import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { GatePolicy } from '../../policy/schema.ts';
import { git } from '../../workspace/git.ts';
import { lockWaiter, tryLock } from './host-lock.ts';
import { AppOutputSchema, GATE_ENTRY_VERSION, JudgeOutputSchema } from './schemas.ts';

/**
 * Main's measurement, cached by what determines it: the judge's trees of rag-app, evals, forge and
 * the lockfile, the gate's configuration
 * (policy and the judge's evals/gate.json), the datasets' content and the corpus's file list and
 * sizes, and the entries' version. Another candidate on the same base then reuses it (a test run
 * measures main once). Latency is the one figure that depends on the moment: when a candidate fails
 * on latency alone, the gate measures main again right after it (index.ts) and caches that one.
 */

export const CachedMainSchema = z.object({
  key: z.string(),
  measuredAt: z.string(),
  judgeSha: z.string(),
  judge: JudgeOutputSchema,
  app: AppOutputSchema,
  durationMs: z.number(),
});
export type CachedMain = z.infer<typeof CachedMainSchema>;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export interface CacheKeyInput {
  judgeDir: string;
  gate: GatePolicy;
  corpusDir: string;
  datasets: string[];
  holdoutDatasets: string[];
  concurrency: number;
}

export async function judgeHead(judgeDir: string): Promise<string> {
  return (await git(judgeDir, ['rev-parse', 'HEAD'])).stdout.trim();
}

export async function mainCacheKey(input: CacheKeyInput): Promise<{ key: string; judgeSha: string }> {
  const judgeSha = await judgeHead(input.judgeDir);
  const gateConfig = await readFile(path.join(input.judgeDir, 'evals', 'gate.json'), 'utf8').catch(() => '');
  const files = async (list: string[]) =>
    Promise.all(list.map(async (f) => ({ name: path.basename(f), sha256: sha256(await readFile(f)) })));
  const corpus = [];
  for (const name of (await readdir(input.corpusDir)).sort()) {
    const s = await stat(path.join(input.corpusDir, name));
    if (s.isFile()) corpus.push([name, s.size]);
  }
  const material = {
    entryVersion: GATE_ENTRY_VERSION,
    // What main's figures depend on: the app, the judge and their dependencies — not mission.md or
    // the commit id, so runs on bases that differ only elsewhere share one measurement.
    trees: await judgeTrees(input.judgeDir),
    // Paths differ between copies of the same data; the data's content is hashed below.
    gate: { ...input.gate, corpus: undefined, datasets: undefined },
    gateConfig,
    datasets: await files(input.datasets),
    holdoutDatasets: await files(input.holdoutDatasets),
    corpus,
    concurrency: input.concurrency,
  };
  return { key: sha256(JSON.stringify(material)), judgeSha };
}

const MEASURED_PATHS = ['rag-app', 'evals', 'forge', 'package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];

async function judgeTrees(judgeDir: string): Promise<string> {
  const args = MEASURED_PATHS.map((p) => `HEAD:${p}`);
  return (await git(judgeDir, ['rev-parse', ...args])).stdout.trim();
}

const fileFor = (cacheDir: string, key: string) => path.join(cacheDir, `main-${key}.json`);

/** The cached measurement, or null (absent, or unreadable: then it is measured again). */
export async function readCachedMain(cacheDir: string, key: string): Promise<CachedMain | null> {
  let text: string;
  try {
    text = await readFile(fileFor(cacheDir, key), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = CachedMainSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.key === key ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written atomically (temp file + rename): a concurrent reader sees the old entry or the new one. */
export async function writeCachedMain(cacheDir: string, entry: CachedMain): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const target = fileFor(cacheDir, entry.key);
  const temp = `${target}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(entry));
  await rename(temp, target);
}

const lockFor = (cacheDir: string, key: string) => path.join(cacheDir, `main-${key}.lock`);

export interface MeasureOnceOptions {
  /** A lock older than this is taken over whoever holds it (default 30 min). */
  staleMs?: number;
  /** How often a waiting gate looks again (default 250 ms). */
  pollMs?: number;
  /** Called once when another gate is already measuring main. */
  onWait?: (holder: { pid: number; host: string }) => void;
}

/**
 * Main's measurement for `key`, measured once however many gates ask at the same time (parallel
 * workers, or test files, on one base): the cached entry if there is one; else the first gate takes
 * `main-<key>.lock` (created exclusively) and runs `measure`, which writes the entry, while the others
 * wait for that entry. A lock whose process is gone, or that is older than `staleMs`, is taken over; a
 * holder that failed leaves no entry, so the next gate measures (and fails, or not) itself.
 */
export async function measureMainOnce(
  cacheDir: string,
  key: string,
  measure: () => Promise<CachedMain>,
  options: MeasureOnceOptions = {},
): Promise<{ entry: CachedMain; cached: boolean }> {
  const staleMs = options.staleMs ?? 30 * 60_000;
  const pollMs = options.pollMs ?? 250;
  const lock = lockFor(cacheDir, key);
  await mkdir(cacheDir, { recursive: true });
  const waiter = lockWaiter(lock, staleMs, options.onWait);
  for (;;) {
    const cached = await readCachedMain(cacheDir, key);
    if (cached) return { entry: cached, cached: true };
    if (await tryLock(lock)) {
      try {
        // Measured by another gate between our read and our lock: use it.
        const raced = await readCachedMain(cacheDir, key);
        return raced ? { entry: raced, cached: true } : { entry: await measure(), cached: false };
      } finally {
        await unlink(lock).catch(() => undefined);
      }
    }
    if (await waiter()) continue;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

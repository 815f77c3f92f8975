/** Pure statistics and process-memory probes for the benchmark. */
import { percentileOfSorted } from '@dark-factory/kit';

export interface Latency {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Summary of latency samples in milliseconds, rounded to 0.1 ms. */
export function summarize(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    n: sorted.length,
    mean: round1(sorted.length ? sum / sorted.length : Number.NaN),
    p50: round1(percentileOfSorted(sorted, 0.5)),
    p95: round1(percentileOfSorted(sorted, 0.95)),
    p99: round1(percentileOfSorted(sorted, 0.99)),
    max: round1(sorted.at(-1) ?? Number.NaN),
  };
}

/** Events per second, rounded to 0.1. */
export function rate(count: number, ms: number): number {
  return ms > 0 ? round1((count * 1000) / ms) : Number.NaN;
}

export const MB = 1024 * 1024;

export interface Memory {
  rssMb: number;
  heapUsedMb: number;
}

export function memory(usage: NodeJS.MemoryUsage = process.memoryUsage()): Memory {
  return { rssMb: round1(usage.rss / MB), heapUsedMb: round1(usage.heapUsed / MB) };
}

export interface PeakSampler {
  /** Highest RSS seen so far, in MB. */
  peakMb(): number;
  stop(): number;
}

/**
 * Samples RSS every `everyMs`. A timer cannot fire while a synchronous stretch (PGlite's WASM, a
 * BM25 build) holds the event loop, so every read also takes a sample to catch peaks at phase ends.
 */
export function samplePeakRss(
  everyMs = 100,
  read: () => number = () => process.memoryUsage.rss(),
): PeakSampler {
  let peak = read();
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, everyMs);
  timer.unref();
  const peakMb = () => {
    peak = Math.max(peak, read());
    return round1(peak / MB);
  };
  return {
    peakMb,
    stop() {
      clearInterval(timer);
      return peakMb();
    },
  };
}

/** Runs `fn` once and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

export interface LoadRun {
  samplesMs: number[];
  wallMs: number;
  errors: number;
  firstError: string | null;
}

/**
 * Calls `fn(i)` for i in [0, n) with at most `concurrency` calls in flight; each call's latency
 * is one sample. A failing call is counted (and its message kept) rather than ending the run.
 */
export async function runLoad(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<LoadRun> {
  const samplesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      try {
        await fn(i);
        samplesMs.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  return { samplesMs, wallMs: performance.now() - t0, errors, firstError };
}

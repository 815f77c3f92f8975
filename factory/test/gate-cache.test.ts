/**
 * Main's measurement is made once when several gates on one base ask at the same time (the two gate
 * scenarios of a test run, parallel workers): cache.ts's lock, on real files in a temporary directory.
 * `measure` is the caller's (the gate's measureMain), so here it is a function that counts its calls.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CachedMain,
  CachedMainSchema,
  measureMainOnce,
  writeCachedMain,
} from '../src/steps/gate/cache.ts';
import { withMeasureLock } from '../src/steps/gate/host-lock.ts';
import { GATE_ENTRY_VERSION } from '../src/steps/gate/schemas.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'factory-gate-cache-test-'));
  dirs.push(dir);
  return dir;
}

const KEY = 'k'.repeat(64);

/** An entry as the gate caches it (parsed: the cache reads back only what the schema accepts). */
function entry(measuredAt: string): CachedMain {
  return CachedMainSchema.parse({
    key: KEY,
    measuredAt,
    judgeSha: 'a'.repeat(40),
    durationMs: 1,
    app: {
      version: GATE_ENTRY_VERSION,
      ingest: { added: 1, updated: 0, skipped: 0, failed: 0, chunks: 1 },
      timings: { ingestMs: 1, serverStartMs: 1, warmupMs: 1, servedMs: 1 },
    },
    judge: {
      version: GATE_ENTRY_VERSION,
      summary: { cases: 1, metrics: { recallAt10Video: 1 } },
      timings: { evalsMs: 1 },
    },
  });
}

/** A measurement that writes its entry (as the gate's does) once `release()` is called. */
function gatedMeasure(dir: string) {
  let calls = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  return {
    calls: () => calls,
    release: () => release(),
    measure: async () => {
      calls++;
      await released;
      const e = entry(`measure ${calls}`);
      await writeCachedMain(dir, e);
      return e;
    },
  };
}

describe('main measured once per key', () => {
  it('lets the first gate measure while a second waits for its entry, then leaves no lock', async () => {
    const dir = await cacheDir();
    const m = gatedMeasure(dir);
    const waits: number[] = [];
    const first = measureMainOnce(dir, KEY, m.measure, { pollMs: 10 });
    // The first holds the lock (its measurement is running) before the second asks.
    await expect.poll(() => m.calls()).toBe(1);
    const second = measureMainOnce(dir, KEY, m.measure, { pollMs: 10, onWait: (h) => waits.push(h.pid) });
    await expect.poll(() => waits).toEqual([process.pid]);
    m.release();
    const [a, b] = await Promise.all([first, second]);
    expect(m.calls()).toBe(1);
    expect(a).toEqual({ entry: entry('measure 1'), cached: false });
    expect(b).toEqual({ entry: entry('measure 1'), cached: true });
    expect((await readdir(dir)).filter((f) => f.endsWith('.lock'))).toEqual([]);
    // A later gate reads the cache without measuring.
    expect(await measureMainOnce(dir, KEY, m.measure)).toMatchObject({ cached: true });
    expect(m.calls()).toBe(1);
  });

  it('takes over the lock of a process that is gone, and of one older than staleMs', async () => {
    const dir = await cacheDir();
    const child = spawn(process.execPath, ['-e', '']);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const lock = path.join(dir, `main-${KEY}.lock`);
    await writeFile(lock, JSON.stringify({ pid: child.pid, host: hostname(), at: Date.now() }));
    let calls = 0;
    const measure = async () => {
      calls++;
      const e = entry('after a dead holder');
      await writeCachedMain(dir, e);
      return e;
    };
    expect(await measureMainOnce(dir, KEY, measure, { pollMs: 10 })).toMatchObject({ cached: false });
    expect(calls).toBe(1);

    // This process is alive, but its lock is older than staleMs.
    const other = await cacheDir();
    await writeFile(
      path.join(other, `main-${KEY}.lock`),
      JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() - 60_000 }),
    );
    const stale = await measureMainOnce(other, KEY, async () => entry('after a stale lock'), {
      pollMs: 10,
      staleMs: 30_000,
    });
    expect(stale.entry.measuredAt).toBe('after a stale lock');
  });

  it('when the holder fails, a waiting gate measures itself', async () => {
    const dir = await cacheDir();
    let fail!: (err: Error) => void;
    const failing = measureMainOnce(
      dir,
      KEY,
      () =>
        new Promise<CachedMain>((_, reject) => {
          fail = reject;
        }),
      { pollMs: 10 },
    );
    await expect.poll(() => typeof fail).toBe('function');
    let waited = false;
    const waiting = measureMainOnce(
      dir,
      KEY,
      async () => {
        const e = entry('second try');
        await writeCachedMain(dir, e);
        return e;
      },
      {
        pollMs: 10,
        onWait: () => {
          waited = true;
        },
      },
    );
    await expect.poll(() => waited).toBe(true);
    fail(new Error('main could not be measured'));
    await expect(failing).rejects.toThrow('main could not be measured');
    expect(await waiting).toEqual({ entry: entry('second try'), cached: false });
  });
});

describe('one measurement at a time on a machine', () => {
  it('runs concurrent measurements one after another, tells the waiter who holds it, and leaves no lock', async () => {
    const file = path.join(await cacheDir(), 'measure.lock');
    const log: string[] = [];
    const waits: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = withMeasureLock(
      async () => {
        log.push('first: start');
        await held;
        log.push('first: end');
        return 1;
      },
      { file, pollMs: 10 },
    );
    // The second asks while the first holds the lock (the lock file exists before first's fn runs).
    await expect.poll(() => log.length).toBe(1);
    const second = withMeasureLock(
      async () => {
        log.push('second: start');
        return 2;
      },
      { file, pollMs: 10, onWait: (holder) => waits.push(holder.pid) },
    );
    await expect.poll(() => waits.length).toBe(1);
    expect(log).toEqual(['first: start']);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(log).toEqual(['first: start', 'first: end', 'second: start']);
    expect(waits).toEqual([process.pid]);
    expect(await readdir(path.dirname(file))).toEqual([]);
  });

  it('takes over the lock of a process that is gone, and releases the lock when the measurement throws', async () => {
    const file = path.join(await cacheDir(), 'measure.lock');
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    await writeFile(file, JSON.stringify({ pid: child.pid, host: hostname(), at: Date.now() }));
    await expect(
      withMeasureLock(
        async () => {
          throw new Error('the app could not be served');
        },
        { file, pollMs: 10 },
      ),
    ).rejects.toThrow('the app could not be served');
    expect(await readdir(path.dirname(file))).toEqual([]);
    expect(await withMeasureLock(async () => 'next', { file, pollMs: 10 })).toBe('next');
  });
});

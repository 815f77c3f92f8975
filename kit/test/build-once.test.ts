import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildOnceError, buildOnce } from '../src/build-once.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kit-build-once-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The pid of a process that has exited (its lock is abandoned). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

describe('buildOnce', () => {
  it('builds a directory once for concurrent callers, who all get it complete', async () => {
    const dir = path.join(root, 'shared');
    let builds = 0;
    const build = async (into: string) => {
      builds += 1;
      await writeFile(path.join(into, 'a'), 'first');
      // A reader must never see this half: the directory appears only after the rename.
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(path.join(into, 'b'), 'second');
    };
    const results = await Promise.all([1, 2, 3].map(() => buildOnce(dir, build, { pollMs: 10 })));
    expect(results).toEqual([dir, dir, dir]);
    expect(builds).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['a', 'b']);
    expect(existsSync(`${dir}.lock`)).toBe(false);
    // Already there: not built again.
    await buildOnce(dir, build);
    expect(builds).toBe(1);
  });

  it('leaves nothing behind when the build fails, and the next caller builds it', async () => {
    const dir = path.join(root, 'failing');
    await expect(
      buildOnce(dir, async (into) => {
        await writeFile(path.join(into, 'half'), 'x');
        throw new Error('initdb failed');
      }),
    ).rejects.toThrow('initdb failed');
    expect(existsSync(dir)).toBe(false);
    expect((await readdir(root)).filter((name) => name.startsWith('failing'))).toEqual([]);
    await buildOnce(dir, (into) => writeFile(path.join(into, 'ok'), 'y'));
    expect(await readFile(path.join(dir, 'ok'), 'utf8')).toBe('y');
  });

  it("takes over a lock whose builder's process is gone", async () => {
    const dir = path.join(root, 'orphaned');
    await writeFile(`${dir}.lock`, String(await deadPid()));
    await buildOnce(dir, (into) => writeFile(path.join(into, 'ok'), 'z'), { waitMs: 60_000, pollMs: 10 });
    expect(await readFile(path.join(dir, 'ok'), 'utf8')).toBe('z');
  });

  it('waits for a live builder and gives up with a typed error naming the directory', async () => {
    const dir = path.join(root, 'held');
    // This process is alive: its lock is not abandoned, so the caller waits, then times out.
    await writeFile(`${dir}.lock`, String(process.pid));
    const err = await buildOnce(dir, async () => {}, { waitMs: 50, pollMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildOnceError);
    expect((err as BuildOnceError).code).toBe('build_timeout');
    expect((err as Error).message).toContain(dir);
    expect(existsSync(dir)).toBe(false);
  });
});

/**
 * `kill -9` of the `pnpm start` process (issue 8, item 10): pnpm → sh → tsx → node, and a SIGKILL
 * reaches none of the children. The server watches its launchers and stops when one is gone, so
 * the whole tree exits and the embedded store is released (its owner file removed).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerFile } from '../src/store/owner.ts';
import { postgresSchema, ROOT, spawnRag } from './support/faults.ts';
import { tempDir } from './support/server-harness.ts';

/** Every live descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe.skipIf(process.platform !== 'linux')('kill -9 of `pnpm start`', () => {
  it('leaves no tsx or node child running, and releases the store', async () => {
    const tmp = tempDir('rag-fault-launcher');
    const schema = process.env.DATABASE_URL
      ? await postgresSchema(process.env.DATABASE_URL, `fault_launcher_${process.pid}`)
      : null;
    const pgUrl = schema?.url ?? '';
    try {
      const pnpm = spawn('pnpm', ['start'], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATA_DIR: tmp.dir,
          // On PostgreSQL when there is one (no embedded initdb to wait for); the store check is PGlite's.
          DATABASE_URL: pgUrl,
          CORPUS_DIR: '',
          PORT: '0',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      pnpm.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      pnpm.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await expect.poll(() => out, { timeout: 120_000, interval: 100 }).toMatch(/rag-app listening on/);
      const tree = descendants(pnpm.pid!);
      const commands = tree.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      // Whatever runs the server under pnpm (sh, tsx, a bin shim), a node process serves.
      expect(
        commands.some((c) => /\bnode\b/.test(c)),
        commands.join('\n'),
      ).toBe(true);
      if (!pgUrl) expect(existsSync(ownerFile(path.join(tmp.dir, 'pglite')))).toBe(true);

      pnpm.kill('SIGKILL');
      await expect.poll(() => tree.filter(alive), { timeout: 30_000, interval: 100 }).toEqual([]);
      if (!pgUrl) {
        expect(existsSync(ownerFile(path.join(tmp.dir, 'pglite')))).toBe(false);
        // The store opens again at once: nobody is left holding it.
        const stats = spawnRag(['stats'], { DATA_DIR: tmp.dir });
        expect(await stats.exited).toBe(0);
      }
    } finally {
      await schema?.drop();
      tmp.remove();
    }
  }, 180_000);
});

/**
 * `pnpm factory serve` as a real process over a real embedded store: while another process owns
 * the store it reads through the owner's status endpoint (as `status` does); when the owner goes
 * away it finds the store again and owns it; SIGTERM shuts it down cleanly. Plus its argument errors.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { type OpenedRunStore, openRunStore } from '../src/runs/open.ts';
import { readOwner } from '../src/runs/owner.ts';
import type { RunTimeline } from '../src/watch/timeline.ts';
import { REPO_ROOT } from './support/gate-fixture.ts';
import { seedStore } from './support/pglite-template.ts';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string | undefined>) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    ...createContext(env),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** Polls until `check` returns a value; fails after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pnpm factory serve', () => {
  it('refuses bad arguments with one line', async () => {
    const env = { PATH: process.env.PATH, FACTORY_STORE_DIR: '/nonexistent/store' };
    const bad = await cli(['serve', '--port', 'eighty'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^factory: usage: .*expected a port number/);
    const badEnv = await cli(['serve'], { ...env, FACTORY_PORT: '99999' });
    expect(badEnv.err).toBe('factory: usage: FACTORY_PORT=99999 is not a port number (0-65535)');
    const help = await cli(['serve', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--port <n>');
    expect(help.out).toContain('FACTORY_HOST');
  });

  it('reads through the store owner, takes the store over when the owner ends, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'watch-serve-'));
    dirs.push(dir);
    const storeDir = path.join(dir, 'store');
    // A copy of a migrated store (no initdb): what is tested is who owns it and who reads through whom.
    await seedStore(storeDir);
    // Another process's role (a loop): it owns the embedded store and publishes its status endpoint.
    let owner: OpenedRunStore | undefined = await openRunStore({
      dataDir: storeDir,
      logger: silent,
      label: 'pnpm factory loop',
    });
    const run = await owner.createRun(
      {
        issue: 4,
        author: 'alice',
        base: 'main',
        baseSha: 'c0ffee'.padEnd(40, '0'),
        branch: 'factory/4-x',
        repo: dir,
      },
      { owner: 'loop', ttlMs: 600_000 },
    );
    await owner.addLedgerEntry({
      runId: run.id,
      step: 'triage',
      model: 'claude-haiku-4-5',
      inputTokens: 900,
      outputTokens: 60,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
      usd: 0.001,
    });
    await owner.addEvent({
      runId: run.id,
      step: 'triage',
      kind: 'model_call',
      data: { model: 'claude-haiku-4-5', status: 200, durationMs: 9 },
    });

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'factory/src/cli/main.ts'), 'serve', '--port', '0'],
      {
        // tsx resolves from the checkout; the CLI works where INIT_CWD says (a directory outside any repository).
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          FACTORY_STORE_DIR: storeDir,
          FORGE_DIR: path.join(dir, 'forge'),
          INIT_CWD: dir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      const url = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const m = /^factory serve: watch the factory on (http:\/\/\S+)$/.exec(line);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      // The store line follows the URL line, on stderr.
      await waitFor('the store line', async () =>
        stderr.includes('no git repository here') ? true : undefined,
      );
      expect(stderr).toMatch(/through its owner, pid \d+ \(pnpm factory loop\)/);
      expect(stderr).toContain('no git repository here');

      const ready = (await (await fetch(`${url}/readyz`)).json()) as { store: { via: string } };
      expect(ready.store.via).toBe('owner');
      const t = (await (await fetch(`${url}/api/runs/${run.id}`)).json()) as RunTimeline;
      expect(t.run).toMatchObject({ issue: 4, status: 'running' });
      expect(t.other[0]?.modelCalls[0]).toMatchObject({
        model: 'claude-haiku-4-5',
        inputTokens: 900,
        usd: 0.001,
      });

      // The owner ends: the next read finds the store free, and the server owns it from then on.
      await owner.close();
      owner = undefined;
      const after = await waitFor('the server to own the store', async () => {
        const res = await fetch(`${url}/readyz`);
        const body = (await res.json()) as { ok: boolean; store: { via: string } | null };
        return res.ok && body.store?.via === 'direct' ? body : undefined;
      });
      expect(after.ok).toBe(true);
      const list = (await (await fetch(`${url}/api/runs`)).json()) as {
        runs: { runId: string; status: string }[];
      };
      expect(list.runs.map((r) => r.runId)).toEqual([run.id]);

      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('factory serve: SIGTERM: shutting down');
      expect(stderr).toContain('factory serve: stopped');
      // The store was released: another process may own it now.
      expect(await readOwner(storeDir)).toBeUndefined();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await owner?.close();
    }
  }, 180_000);
});

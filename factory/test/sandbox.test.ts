import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenLocal } from '@dark-factory/kit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFactoryError } from '../src/errors.ts';
import { cutMarker, trimOutput } from '../src/tools/output.ts';
import { bwrapArgs, createCommandRunner, protectedMounts, sandboxEnv } from '../src/tools/sandbox.ts';
import { createAgentToolbox } from '../src/tools/toolbox.ts';
import type { CommandEvent, CommandRunner } from '../src/tools/types.ts';
import { makeToolRepo, type ToolRepo, testPolicy } from './support/tool-repo.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let repo: ToolRepo;
let tmpDir: string;
let events: CommandEvent[];

beforeEach(async () => {
  repo = await makeToolRepo();
  tmpDir = join(repo.outside, 'tmp');
  events = [];
});

afterEach(async () => {
  await repo.cleanup();
});

function runner(overrides: Partial<Parameters<typeof createCommandRunner>[0]> = {}): Promise<CommandRunner> {
  const policy = testPolicy();
  return createCommandRunner({
    boundary: 'bubblewrap',
    worktree: repo.dir,
    protectedPaths: [...policy.protected, ...policy.lockfiles],
    tmpDir,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
}

/** node -e with a script in single quotes (so the policy's command string parses to exactly this argv). */
const nodeCommand = (script: string) => `node -e '${script}'`;

/** Processes on the host whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

async function waitUntilGone(marker: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (processesWith(marker).length > 0) {
    if (Date.now() > deadline) throw new Error(`processes holding ${marker} are still alive`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bubblewrap availability', () => {
  it('fails with no_sandbox, naming the way out, when bubblewrap cannot run', async () => {
    const missing = join(repo.outside, 'no-such-bwrap');
    const error = await runner({ bwrapPath: missing }).catch((err: unknown) => err);
    expect(isFactoryError(error, 'no_sandbox')).toBe(true);
    expect((error as Error).message).toBe(
      `bubblewrap is not available: ${missing} not found; set sandbox.boundary: container in mission.md only if the worker runs in its own container`,
    );
  });
});

describe('the bubblewrap sandbox, through the agent’s run tool', () => {
  it('keeps protected paths and .git read-only inside the worktree, and everything outside it', async () => {
    const script = [
      'const fs = require("fs"); const r = {};',
      'for (const p of ["mission.md", ".github/workflows/ci.yml", "evals/baselines/main.json", "evals/new.json", "pnpm-lock.yaml", ".git/config", "/usr/factory-probe"]) {',
      '  try { fs.writeFileSync(p, "pwned"); r[p] = "written"; } catch (e) { r[p] = e.code; } }',
      'try { fs.unlinkSync("mission.md"); r.unlink = "done"; } catch (e) { r.unlink = e.code; }',
      'try { fs.writeFileSync("rag-app/ok.txt", "fine"); r.writable = "written"; } catch (e) { r.writable = e.code; }',
      'try { fs.renameSync("rag-app/ok.txt", "mission.md"); r.rename = "done"; } catch (e) { r.rename = e.code; }',
      'try { fs.writeFileSync(process.env.HOME + "/x", "tmp"); r.home = "written"; } catch (e) { r.home = e.code; }',
      'console.log(JSON.stringify(r));',
    ].join(' ');
    const command = nodeCommand(script);
    const policy = testPolicy({ validate: [{ name: 'probe', command, timeoutSeconds: 60 }] });
    const box = createAgentToolbox({ worktree: repo.dir, policy, runner: await runner() });
    const outcome = await box.execute('run', { command });
    expect(outcome.content).toMatch(/exit code 0/);
    const report = JSON.parse(outcome.content.split('\n').at(-1) ?? '{}');
    expect(report).toEqual({
      'mission.md': 'EROFS',
      '.github/workflows/ci.yml': 'EROFS',
      'evals/baselines/main.json': 'EROFS',
      'evals/new.json': 'EROFS',
      'pnpm-lock.yaml': 'EROFS',
      '.git/config': 'EROFS',
      '/usr/factory-probe': 'EROFS',
      unlink: 'EBUSY',
      writable: 'written',
      rename: 'EBUSY',
      home: 'written',
    });
    expect(await readFile(join(repo.dir, 'mission.md'), 'utf8')).toBe('# Mission\n');
    expect(await readFile(join(repo.dir, 'evals/baselines/main.json'), 'utf8')).toBe('{"recall": 0.9}\n');
    expect(existsSync(join(repo.dir, 'evals/new.json'))).toBe(false);
    expect(await readFile(join(repo.dir, 'rag-app/ok.txt'), 'utf8')).toBe('fine');
    expect(existsSync('/usr/factory-probe')).toBe(false);
  });

  it('has no network: a server on the host’s 127.0.0.1 cannot be reached from inside', async () => {
    let connections = 0;
    const { port, close } = await listenLocal(
      createServer((socket) => {
        connections++;
        socket.on('error', () => {});
        socket.end('hello');
      }),
    );
    try {
      const script = [
        `const s = require("net").connect(${port}, "127.0.0.1");`,
        's.on("connect", () => { console.log("connected"); process.exit(0); });',
        's.on("error", (e) => { console.log("error " + e.code); process.exit(3); });',
      ].join(' ');
      const command = nodeCommand(script);
      const policy = testPolicy({ validate: [{ name: 'net', command, timeoutSeconds: 60 }] });
      const box = createAgentToolbox({ worktree: repo.dir, policy, runner: await runner() });
      const outcome = await box.execute('run', { command });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/exit code 3 .*\nerror ECONNREFUSED$/s);
      expect(connections).toBe(0);
      // The same command outside the sandbox does connect: the refusal above is the sandbox's doing.
      const plain = await runner({ boundary: 'container' });
      const direct = await plain.run(['node', '-e', script], { timeoutMs: 60_000 });
      expect(direct.output.trim()).toBe('connected');
    } finally {
      await close();
    }
  });

  it('passes only the allow-listed environment: no secrets, no CI, HOME in the temp dir', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:5432/test',
      ANTHROPIC_API_KEY: 'sk-ant-secret',
      GITHUB_TOKEN: 'ghp_secret',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      CI: 'true',
      LANG: 'C.UTF-8',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    };
    const command = nodeCommand('console.log(JSON.stringify(process.env))');
    const policy = testPolicy({ validate: [{ name: 'env', command, timeoutSeconds: 60 }] });
    const box = createAgentToolbox({ worktree: repo.dir, policy, runner: await runner({ env }) });
    const outcome = await box.execute('run', { command });
    const inside = JSON.parse(outcome.content.split('\n').at(-1) ?? '{}') as Record<string, string>;
    // bubblewrap itself sets PWD after --chdir.
    const allowed = [
      'PWD',
      'PATH',
      'HOME',
      'LANG',
      'LC_ALL',
      'TZ',
      'TERM',
      'NO_COLOR',
      'FORCE_COLOR',
      'npm_config_offline',
      'PNPM_HOME',
    ];
    for (const name of Object.keys(inside)) expect(allowed, name).toContain(name);
    expect(inside.HOME).toBe(join(await realpath(tmpDir), 'home'));
    expect(inside).toMatchObject({
      TERM: 'dumb',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      npm_config_offline: 'true',
    });
    expect(outcome.content).not.toMatch(/hunter2|sk-ant|ghp_|aws-secret/);
    expect(sandboxEnv(env, '/t')).not.toHaveProperty('CI');
    const plain = await runner({ boundary: 'container', env });
    const direct = await plain.run(['node', '-e', 'console.log(JSON.stringify(process.env))'], {
      timeoutMs: 60_000,
    });
    expect(Object.keys(JSON.parse(direct.output)).sort()).toEqual(
      Object.keys(sandboxEnv(env, tmpDir)).sort(),
    );
    await expect(plain.run(['true'], { timeoutMs: 1000, env: { GITHUB_TOKEN: 'x' } })).rejects.toThrow(
      /does not pass GITHUB_TOKEN/,
    );
  });

  it('adds the caller’s non-secret variables (SHARED_DIR) and refuses secret-looking ones', async () => {
    const sandbox = await runner({ extraEnv: { SHARED_DIR: '/work/shared' } });
    const result = await sandbox.run(['node', '-e', 'console.log(process.env.SHARED_DIR)'], {
      timeoutMs: 60_000,
    });
    expect(result.output).toBe('/work/shared\n');
    for (const name of ['ANTHROPIC_API_KEY', 'DATABASE_URL', 'CI', 'NPM_TOKEN', 'MY_SECRET_THING']) {
      const error = await runner({ extraEnv: { [name]: 'x' } }).catch((err: unknown) => err);
      expect(isFactoryError(error, 'usage'), name).toBe(true);
    }
  });

  it('hides the holdout and the factory data dir, and the host’s /tmp', async () => {
    await mkdir(join(repo.dir, 'holdout'), { recursive: true });
    await writeFile(join(repo.dir, 'holdout/HOLDOUT'), 'sealed\n');
    const data = join(repo.outside, 'data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'runs.db'), 'store');
    const sandbox = await runner({ hidden: [join(repo.dir, 'holdout'), data, join(repo.outside, 'absent')] });
    const script = `const fs = require("fs"); console.log(JSON.stringify([fs.readdirSync("holdout"), fs.existsSync(${JSON.stringify(
      join(data, 'runs.db'),
    )}), fs.existsSync(${JSON.stringify(join(repo.outside, 'secret.txt'))})]))`;
    const result = await sandbox.run(['node', '-e', script], { timeoutMs: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.output)).toEqual([[], false, false]);
    expect(existsSync(join(repo.outside, 'absent'))).toBe(false);
    expect(await readFile(join(repo.dir, 'holdout/HOLDOUT'), 'utf8')).toBe('sealed\n');
  });

  it('runs git in a linked worktree whose repository lies under /tmp', async () => {
    const linked = join(repo.outside, 'linked');
    execFileSync('git', ['worktree', 'add', '-q', '-b', 'factory/1-x', linked], {
      cwd: repo.dir,
      stdio: 'pipe',
    });
    const sandbox = await runner({ worktree: linked });
    const result = await sandbox.run(['git', 'log', '--format=%s', '-1'], { timeoutMs: 60_000 });
    expect(result).toMatchObject({ exitCode: 0, output: 'initial\n', boundary: 'bubblewrap' });
    const write = await sandbox.run(['git', 'commit', '--allow-empty', '-m', 'x'], { timeoutMs: 60_000 });
    expect(write.exitCode).not.toBe(0);
    expect(write.output).toMatch(/Read-only file system/);
  });

  it('runs pnpm from this repository’s install (vitest found offline)', async () => {
    const sandbox = await runner({ worktree: repoRoot });
    const result = await sandbox.run(['pnpm', 'exec', 'vitest', '--version'], { timeoutMs: 120_000 });
    expect(result.output).toMatch(/vitest\/4\./);
    expect(result.exitCode).toBe(0);
  });
});

describe('timeouts, output, events', () => {
  for (const boundary of ['bubblewrap', 'container'] as const) {
    it(`kills the whole process tree on timeout (${boundary})`, async () => {
      const marker = `4242.${process.pid}${Math.floor(Math.random() * 1e6)}`;
      const script = `require("child_process").spawn("sleep", ["${marker}"], { stdio: "ignore" }); console.log("spawned"); setInterval(() => {}, 1000);`;
      const sandbox = await runner({ boundary });
      const result = await sandbox.run(['node', '-e', script], { timeoutMs: 2_000 });
      expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL', boundary });
      expect(result.output).toContain('spawned');
      await waitUntilGone(marker);
      expect(events.at(-1)).toMatchObject({
        argv: ['node', '-e', script],
        timedOut: true,
        exitCode: null,
        boundary,
      });
    });
  }

  it('trims output to head and tail with a marker, and can return stdout in full', async () => {
    const sandbox = await runner();
    const script = 'process.stdout.write("HEAD" + "x".repeat(100000) + "TAIL")';
    const result = await sandbox.run(['node', '-e', script], { timeoutMs: 60_000, fullStdout: true });
    const total = 4 + 100_000 + 4;
    expect(result.output).toBe(
      `HEAD${'x'.repeat(4092)}${cutMarker(total - 4096 - 8192)}${'x'.repeat(8188)}TAIL`,
    );
    expect(result.stdout).toBe(`HEAD${'x'.repeat(100_000)}TAIL`);
    const short = await sandbox.run(['node', '-e', 'console.error("to stderr")'], { timeoutMs: 60_000 });
    expect(short).toMatchObject({ exitCode: 0, output: 'to stderr\n' });
    expect(short.stdout).toBeUndefined();
    expect(trimOutput('abcdef', 2, 2)).toBe(`ab${cutMarker(2)}ef`);
    expect(trimOutput('abcd', 2, 2)).toBe('abcd');
    expect(events.map((e) => e.exitCode)).toEqual([0, 0]);
    expect(events[0]).toMatchObject({
      boundary: 'bubblewrap',
      cwd: await realpath(repo.dir),
      timedOut: false,
    });
  });

  it('reports a missing program as a failed command, not a throw', async () => {
    const sandbox = await runner({ boundary: 'container' });
    const result = await sandbox.run(['no-such-program-xyz'], { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(127);
    expect(result.output).toMatch(/ENOENT/);
    const boxed = await runner();
    const inside = await boxed.run(['no-such-program-xyz'], { timeoutMs: 10_000 });
    expect(inside.exitCode).not.toBe(0);
    expect(inside.output).toMatch(/No such file or directory/);
  });
});

describe('mount layout', () => {
  it('binds protected directories whole, matching files one by one, and .git', async () => {
    await mkdir(join(repo.dir, 'rag-app/sub'), { recursive: true });
    await writeFile(join(repo.dir, 'rag-app/sub/package-lock.json'), '{}');
    const mounts = await protectedMounts(repo.dir, [
      'mission.md',
      'evals/**',
      '.github/**',
      'scripts/**',
      '**/package-lock.json',
    ]);
    expect(mounts.readOnly).toEqual(
      ['.git', 'evals', '.github', 'mission.md', 'rag-app/sub/package-lock.json'].map((p) =>
        join(repo.dir, p),
      ),
    );
    expect(mounts.reopened).toEqual([]);
  });

  it('keeps installed dependencies read-only (pnpm hard-links them from its store), their caches writable', async () => {
    await writeFile(join(repo.dir, '.gitignore'), '*.log\nignored/\nnode_modules/\n');
    await mkdir(join(repo.dir, 'node_modules/dep'), { recursive: true });
    await writeFile(join(repo.dir, 'node_modules/dep/index.js'), 'module.exports = 1;\n');
    await mkdir(join(repo.dir, 'evals/node_modules'), { recursive: true });
    await mkdir(join(repo.dir, 'evals/ignored'), { recursive: true });
    const mounts = await protectedMounts(repo.dir, ['evals/**']);
    expect(mounts.readOnly).toEqual(['.git', 'evals', 'node_modules'].map((p) => join(repo.dir, p)));
    expect(mounts.reopened).toEqual(
      [
        'evals/ignored',
        ...['evals/node_modules', 'node_modules'].flatMap((nm) =>
          ['.vite', '.vite-temp', '.cache', '.pnpm-task-run-state-v1'].map((cache) => `${nm}/${cache}`),
        ),
      ].map((p) => join(repo.dir, p)),
    );
    const sandbox = await runner();
    const script = [
      'const fs = require("fs"); const r = [];',
      'for (const p of ["node_modules/dep/index.js", "node_modules/new.js", "node_modules/.vite/results.json",',
      '  "evals/node_modules/.vite-temp/config.mjs", "evals/node_modules/x.js", "evals/ignored/out.txt", "evals/gate.json"]) {',
      '  try { fs.writeFileSync(p, "x"); r.push("written"); } catch (e) { r.push(e.code); } }',
      'console.log(JSON.stringify(r));',
    ].join(' ');
    const result = await sandbox.run(['node', '-e', script], { timeoutMs: 60_000 });
    expect(JSON.parse(result.output)).toEqual([
      'EROFS',
      'EROFS',
      'written',
      'written',
      'EROFS',
      'written',
      'EROFS',
    ]);
    expect(await readFile(join(repo.dir, 'node_modules/dep/index.js'), 'utf8')).toBe('module.exports = 1;\n');
  });

  it('mounts a hidden directory that holds the worktree before the worktree, one inside it after', () => {
    const args = bwrapArgs(
      {
        worktree: '/data/wt/1',
        tmpDir: '/data/tmp/1',
        readOnly: [],
        protectedMounts: ['/data/wt/1/mission.md'],
        hidden: ['/data', '/data/wt/1/holdout'],
        cwd: '/data/wt/1',
        env: { PATH: '/usr/bin' },
      },
      ['pnpm', 'test'],
    );
    const at = (flag: string, path: string) => args.findIndex((a, i) => a === flag && args[i + 1] === path);
    expect(at('--tmpfs', '/data')).toBeLessThan(at('--bind', '/data/wt/1'));
    expect(at('--bind', '/data/wt/1')).toBeLessThan(at('--ro-bind', '/data/wt/1/mission.md'));
    expect(at('--ro-bind', '/data/wt/1/mission.md')).toBeLessThan(at('--tmpfs', '/data/wt/1/holdout'));
    expect(args.slice(-3)).toEqual(['--', 'pnpm', 'test']);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--clearenv');
  });
});

import { execFile, spawn } from 'node:child_process';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import picomatch from 'picomatch';
import { FactoryError } from '../errors.ts';
import { listIgnoredDirs, listWorktreeFiles } from './files.ts';
import { TrimmedOutput } from './output.ts';
import type { CommandEvent, CommandResult, CommandRunner, RunOptions, SandboxBoundary } from './types.ts';

const exec = promisify(execFile);

/**
 * Runs commands for the agent, the validate step and the gate. With `bubblewrap` every command
 * gets: no network (`--unshare-net`, loopback only), its own pid and ipc namespaces, the host file
 * system read-only, only the worktree and a temp dir writable, the worktree's protected paths and
 * its `.git` re-bound read-only, the hidden directories (holdout, factory data) replaced by empty
 * tmpfs, and an allow-listed environment with no secrets. With `container` (the operator declares
 * the worker's own container the boundary) a plain spawn with the same clean environment and cwd.
 */

export interface CommandRunnerOptions {
  boundary: SandboxBoundary;
  /** Writable, and the default working directory. */
  worktree: string;
  /** The policy's protected globs (relative to the worktree); existing matches are read-only inside. */
  protectedPaths: readonly string[];
  /** Directories to hide (mounted as empty tmpfs): the holdout, the factory's data dir. */
  hidden?: readonly string[];
  /** Paths outside the worktree the commands must see although they lie under /tmp (e.g. a judge's candidate worktree). */
  readOnlyPaths?: readonly string[];
  /** Writable scratch space; HOME is `<tmpDir>/home`. Created when missing. */
  tmpDir: string;
  /** Where PATH, LANG, LC_ALL, TZ, PNPM_HOME are taken from (default process.env). Nothing else passes. */
  env?: NodeJS.ProcessEnv;
  /**
   * Variables every command gets on top of the allow-list, e.g. `SHARED_DIR` (where the tests find
   * the corpus when the worktree is not beside it). Secret-looking names are refused. A path under
   * /tmp must also be in `readOnlyPaths` to be visible inside.
   */
  extraEnv?: Record<string, string>;
  /** The bubblewrap binary (default `bwrap` on PATH). */
  bwrapPath?: string;
  /** Called once per finished command. */
  onEvent?: (event: CommandEvent) => void;
}

/** Names a caller may never pass through `RunOptions.env`. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION/i;
const REFUSED_NAMES = new Set([
  'CI',
  'DATABASE_URL',
  'PGPASSWORD',
  'NODE_OPTIONS',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
]);

/** After the process exits, how long its output pipes may stay open (held by an escaped grandchild). */
const PIPE_GRACE_MS = 2_000;

/** The allow-listed environment every command gets. */
export function sandboxEnv(env: NodeJS.ProcessEnv, tmpDir: string): Record<string, string> {
  const clean: Record<string, string> = {
    PATH: env.PATH || '/usr/local/bin:/usr/bin:/bin',
    HOME: path.join(tmpDir, 'home'),
    LANG: env.LANG || 'C.UTF-8',
    TZ: env.TZ || 'UTC',
    TERM: 'dumb',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    npm_config_offline: 'true',
  };
  if (env.LC_ALL) clean.LC_ALL = env.LC_ALL;
  if (env.PNPM_HOME) clean.PNPM_HOME = env.PNPM_HOME;
  return clean;
}

function extraEnv(extra: Record<string, string> | undefined): Record<string, string> {
  if (!extra) return {};
  for (const name of Object.keys(extra)) {
    if (SECRET_NAME.test(name) || REFUSED_NAMES.has(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new FactoryError('usage', `the sandbox does not pass ${name} to commands`, { name });
    }
  }
  return extra;
}

/** The flags every sandboxed command uses for its namespaces (also what the availability check runs). */
const NAMESPACE_ARGS = [
  '--die-with-parent',
  '--unshare-net',
  '--unshare-pid',
  '--unshare-ipc',
  '--new-session',
  '--ro-bind',
  '/',
  '/',
  '--dev',
  '/dev',
  '--proc',
  '/proc',
];

/** How bubblewrap can run here: `extraArgs` are prepended (a user namespace where root lacks CAP_SYS_ADMIN). */
export type BubblewrapCheck = { ok: true; extraArgs: string[] } | { ok: false; reason: string };

const bwrapChecks = new Map<string, Promise<BubblewrapCheck>>();

async function tryBubblewrap(bwrapPath: string, extraArgs: string[]): Promise<string | undefined> {
  try {
    await exec(bwrapPath, [...extraArgs, ...NAMESPACE_ARGS, 'true'], {
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '' },
    });
    return undefined;
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') return `${bwrapPath} not found`;
    const stderr = typeof failure.stderr === 'string' ? failure.stderr.trim().split('\n')[0] : '';
    return stderr || failure.message;
  }
}

/**
 * Whether bubblewrap can make a sandbox here, checked once per binary: first as is (root with the
 * capabilities, or a setuid bwrap), then inside a user namespace (root in a container without
 * CAP_SYS_ADMIN); the reason of the first failure otherwise.
 */
export function checkBubblewrap(bwrapPath = 'bwrap'): Promise<BubblewrapCheck> {
  let check = bwrapChecks.get(bwrapPath);
  if (!check) {
    check = (async (): Promise<BubblewrapCheck> => {
      const plain = await tryBubblewrap(bwrapPath, []);
      if (plain === undefined) return { ok: true, extraArgs: [] };
      if (plain.endsWith('not found')) return { ok: false, reason: plain };
      if ((await tryBubblewrap(bwrapPath, ['--unshare-user'])) === undefined) {
        return { ok: true, extraArgs: ['--unshare-user'] };
      }
      return { ok: false, reason: plain };
    })();
    bwrapChecks.set(bwrapPath, check);
  }
  return check;
}

async function existing(abs: string): Promise<'dir' | 'file' | 'link' | undefined> {
  try {
    const stat = await lstat(abs);
    return stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export interface ProtectedMounts {
  /** Absolute paths to re-bind read-only (protected paths, `.git`, installed dependencies). */
  readOnly: string[];
  /** Directories inside those, bound writable again (ignored output, dependency caches). Created when missing. */
  reopened: string[];
}

/** Caches that tools write inside `node_modules` (vite's config bundles and results, pnpm's run state). */
export const NODE_MODULES_CACHES = ['.vite', '.vite-temp', '.cache', '.pnpm-task-run-state-v1'] as const;

/** A real directory at exactly this path: no symlink on the way (bubblewrap would bind the link's target). */
async function isRealDir(abs: string): Promise<boolean> {
  return (await existing(abs)) === 'dir' && (await realpath(abs).catch(() => '')) === abs;
}

function nestedIn(parents: readonly string[], rel: string): boolean {
  return parents.some((parent) => rel.startsWith(`${parent}/`));
}

/**
 * What inside the worktree is re-bound read-only, and what inside that is writable again:
 * - each protected glob expanded against the worktree's files (a `dir/**` glob binds the whole
 *   directory, so new files there are refused too; a literal path binds itself), and `.git`.
 *   Symlinks are not bound (their target is, when it is protected);
 * - every `node_modules` directory: pnpm hard-links package files from its store, so a writable
 *   `node_modules` would let a command rewrite the store, the base checkout's and the judge's
 *   dependencies (or swap the test runner) through the same inodes. Their caches
 *   (`NODE_MODULES_CACHES`) stay writable: vitest bundles every project's config there;
 * - inside a read-only directory, its git-ignored directories (wholly untracked, so nothing there
 *   can reach a diff: build output, test artifacts) stay writable.
 * Nested paths are dropped when a parent is already bound the same way.
 */
export async function protectedMounts(worktree: string, globs: readonly string[]): Promise<ProtectedMounts> {
  const found = new Set<string>();
  const patterns: string[] = [];
  for (const glob of globs) {
    const scan = picomatch.scan(glob);
    if (!scan.isGlob) {
      const rel = path.posix.normalize(glob).replace(/\/+$/, '');
      const kind = await existing(path.join(worktree, rel));
      if (kind === 'dir' || kind === 'file') found.add(rel);
      continue;
    }
    const dirGlob = glob.match(/^(.+?)\/\*\*(\/\*)?$/);
    if (dirGlob?.[1] && !picomatch.scan(dirGlob[1]).isGlob) {
      const rel = path.posix.normalize(dirGlob[1]);
      if ((await existing(path.join(worktree, rel))) === 'dir') found.add(rel);
      continue;
    }
    patterns.push(glob);
  }
  if (patterns.length > 0) {
    const isMatch = picomatch(patterns, { dot: true });
    for (const file of await listWorktreeFiles(worktree)) {
      if (isMatch(file) && (await existing(path.join(worktree, file))) === 'file') found.add(file);
    }
  }
  if (await existing(path.join(worktree, '.git'))) found.add('.git');

  const ignored = await listIgnoredDirs(worktree, ['.']);
  const nodeModules = new Set(ignored.filter((rel) => path.posix.basename(rel) === 'node_modules'));
  if (await isRealDir(path.join(worktree, 'node_modules'))) nodeModules.add('node_modules');
  for (const rel of nodeModules) found.add(rel);

  const sorted = [...found].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const readOnly: string[] = [];
  for (const rel of sorted) {
    if (!nestedIn(readOnly, rel)) readOnly.push(rel);
  }
  const reopened: string[] = [];
  for (const rel of ignored) {
    if (nodeModules.has(rel) || !nestedIn(readOnly, rel) || nestedIn(reopened, rel)) continue;
    if (await isRealDir(path.join(worktree, rel))) reopened.push(rel);
  }
  for (const rel of nodeModules) {
    if (!(await isRealDir(path.join(worktree, rel)))) continue;
    for (const cache of NODE_MODULES_CACHES) {
      const cacheRel = `${rel}/${cache}`;
      const abs = path.join(worktree, cacheRel);
      if ((await existing(abs)) === undefined) await mkdir(abs, { recursive: true });
      if (await isRealDir(abs)) reopened.push(cacheRel);
    }
  }
  return {
    readOnly: readOnly.map((rel) => path.join(worktree, rel)),
    reopened: reopened.map((rel) => path.join(worktree, rel)),
  };
}

export interface BwrapLayout {
  /** Flags the availability check found necessary (e.g. `--unshare-user`). */
  extraArgs?: readonly string[];
  worktree: string;
  tmpDir: string;
  readOnly: readonly string[];
  protectedMounts: readonly string[];
  /** Writable again inside read-only protected directories (their git-ignored directories). */
  reopened?: readonly string[];
  hidden: readonly string[];
  cwd: string;
  env: Record<string, string>;
}

/** The bubblewrap arguments for one command (pure; mount order matters: later mounts cover earlier ones). */
export function bwrapArgs(layout: BwrapLayout, argv: readonly string[]): string[] {
  // A private /dev/shm (Chromium and other shared-memory users) and /tmp.
  const args = [...(layout.extraArgs ?? []), ...NAMESPACE_ARGS, '--tmpfs', '/dev/shm', '--tmpfs', '/tmp'];
  // A hidden directory that holds the worktree (say, the factory's data dir) is emptied first and
  // the worktree mounted back into it; one inside the worktree is emptied after the worktree's bind.
  const shown = [layout.worktree, layout.tmpDir, ...layout.readOnly];
  const holdsShown = (d: string) => shown.some((p) => isInside(d, p));
  for (const d of layout.hidden.filter(holdsShown)) args.push('--tmpfs', d);
  for (const p of layout.readOnly) args.push('--ro-bind', p, p);
  args.push('--bind', layout.worktree, layout.worktree, '--bind', layout.tmpDir, layout.tmpDir);
  for (const p of layout.protectedMounts) args.push('--ro-bind', p, p);
  for (const p of layout.reopened ?? []) args.push('--bind', p, p);
  for (const d of layout.hidden.filter((d) => !holdsShown(d))) args.push('--tmpfs', d);
  args.push('--chdir', layout.cwd, '--clearenv');
  for (const [name, value] of Object.entries(layout.env)) args.push('--setenv', name, value);
  args.push('--', ...argv);
  return args;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function gitCommonDir(worktree: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: worktree,
    });
    const dir = stdout.trim();
    return dir === '' ? undefined : await realpath(dir);
  } catch {
    return undefined;
  }
}

async function existingDirs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      out.push(await realpath(p));
    } catch {
      // Missing: nothing to hide or show. (bwrap would create a mount point for it on the host.)
    }
  }
  return out;
}

interface Spawned {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
  stdout?: string;
}

/** Spawns in its own process group; on timeout the whole group gets SIGKILL. */
function spawnBounded(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; fullStdout: boolean },
): Promise<Spawned> {
  return new Promise((resolve) => {
    const output = new TrimmedOutput();
    const stdout: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    let spawnError: Error | undefined;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk);
      if (options.fullStdout) stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('exit', () => {
      // An escaped grandchild may hold the pipes open: do not wait for it forever.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS).unref();
    });
    const finish = (exitCode: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = spawnError ? `${output.toString()}${spawnError.message}\n` : output.toString();
      resolve({
        exitCode: timedOut ? null : exitCode,
        signal: timedOut ? 'SIGKILL' : signal,
        timedOut,
        output: text,
        ...(options.fullStdout ? { stdout: Buffer.concat(stdout).toString('utf8') } : {}),
      });
    };
    child.once('error', (err) => {
      spawnError = err;
      // A command that cannot be started is exit code 127, as a shell would say.
      if (child.pid === undefined) finish(127, null);
    });
    child.once('close', (code, signal) => finish(code, signal));
  });
}

async function mountsOf(worktree: string, globs: readonly string[]) {
  const mounts = await protectedMounts(worktree, globs);
  return { protectedMounts: mounts.readOnly, reopened: mounts.reopened };
}

/**
 * A runner for one worktree. Rejects with `FactoryError('no_sandbox')` when the boundary is
 * bubblewrap and bubblewrap cannot run here, before any command runs.
 */
export async function createCommandRunner(options: CommandRunnerOptions): Promise<CommandRunner> {
  const env = options.env ?? process.env;
  const boundary = options.boundary;
  const bwrapPath = options.bwrapPath ?? 'bwrap';
  let extraArgs: string[] = [];
  if (boundary === 'bubblewrap') {
    const check = await checkBubblewrap(bwrapPath);
    if (!check.ok) {
      throw new FactoryError(
        'no_sandbox',
        `bubblewrap is not available: ${check.reason}; set sandbox.boundary: container in mission.md only if the worker runs in its own container`,
        { bwrapPath },
      );
    }
    extraArgs = check.extraArgs;
  }
  await mkdir(path.join(options.tmpDir, 'home'), { recursive: true });
  const worktree = await realpath(options.worktree);
  const tmpDir = await realpath(options.tmpDir);
  const hidden = await existingDirs(options.hidden ?? []);
  const readOnly = await existingDirs(options.readOnlyPaths ?? []);
  const commonDir = await gitCommonDir(worktree);
  if (commonDir && !isInside(worktree, commonDir)) readOnly.push(commonDir);
  const baseEnv = { ...sandboxEnv(env, tmpDir), ...extraEnv(options.extraEnv) };

  return {
    boundary,
    async run(argv: string[], runOptions: RunOptions): Promise<CommandResult> {
      if (argv.length === 0 || argv[0] === '') throw new FactoryError('usage', 'an empty command cannot run');
      const cwd = runOptions.cwd ? path.resolve(worktree, runOptions.cwd) : worktree;
      if (!isInside(worktree, cwd) && !isInside(tmpDir, cwd)) {
        throw new FactoryError('usage', `commands run inside the worktree or the temp dir, not in ${cwd}`, {
          cwd,
        });
      }
      const commandEnv = { ...baseEnv, ...extraEnv(runOptions.env) };
      await mkdir(commandEnv.HOME ?? path.join(tmpDir, 'home'), { recursive: true });
      const started = performance.now();
      let spawned: Spawned;
      if (boundary === 'bubblewrap') {
        const layout: BwrapLayout = {
          extraArgs,
          worktree,
          tmpDir,
          readOnly,
          ...(await mountsOf(worktree, options.protectedPaths)),
          hidden,
          cwd,
          env: commandEnv,
        };
        spawned = await spawnBounded(bwrapPath, bwrapArgs(layout, argv), {
          cwd: worktree,
          env: { PATH: baseEnv.PATH ?? '' },
          timeoutMs: runOptions.timeoutMs,
          fullStdout: runOptions.fullStdout ?? false,
        });
      } else {
        const [file, ...args] = argv as [string, ...string[]];
        spawned = await spawnBounded(file, args, {
          cwd,
          env: commandEnv,
          timeoutMs: runOptions.timeoutMs,
          fullStdout: runOptions.fullStdout ?? false,
        });
      }
      const result: CommandResult = {
        argv: [...argv],
        exitCode: spawned.exitCode,
        signal: spawned.signal,
        timedOut: spawned.timedOut,
        durationMs: Math.round(performance.now() - started),
        output: spawned.output,
        boundary,
        ...(spawned.stdout !== undefined ? { stdout: spawned.stdout } : {}),
      };
      options.onEvent?.({
        argv: result.argv,
        cwd,
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        boundary,
      });
      return result;
    },
  };
}

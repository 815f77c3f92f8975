import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../errors.ts';
import type { InstallResult } from './types.ts';

const LOCKFILE = 'pnpm-lock.yaml';

export interface InstallOptions {
  /** The repository the worktree was made from (its lockfile is the reference). */
  sourceRepo: string;
  /** The pnpm executable (default `pnpm` on PATH). */
  pnpm?: string;
  timeoutMs?: number;
  /** Environment for pnpm (default: this process's, without secrets). */
  env?: NodeJS.ProcessEnv;
}

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** This process's environment without keys, tokens, passwords or database URLs. */
export function installEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (/(KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?)$/i.test(name) || name === 'DATABASE_URL') continue;
    clean[name] = value;
  }
  return clean;
}

/**
 * Installs the worktree's dependencies from the local pnpm store, never from the network:
 * `pnpm install --offline --frozen-lockfile --reporter=silent`. pnpm hard-links the packages from
 * its store and links workspace packages inside the worktree (so the worktree's rag-app resolves
 * `@dark-factory/forge` to the worktree's own forge, not the source repository's). Measured on this
 * repository: under a second. `lockfileMatches` records whether the worktree's lockfile is the
 * source repository's (then every package is known to be in the store); a different lockfile is
 * still installed offline, and a package missing from the store is an `install_error`.
 * A worktree without a pnpm lockfile is skipped.
 */
export async function installDependencies(dir: string, options: InstallOptions): Promise<InstallResult> {
  const [ours, theirs] = await Promise.all([
    readOptional(join(dir, LOCKFILE)),
    readOptional(join(options.sourceRepo, LOCKFILE)),
  ]);
  const argv = ['install', '--offline', '--frozen-lockfile', '--reporter=silent'];
  if (!ours) {
    return { status: 'skipped', reason: `no ${LOCKFILE}`, lockfileMatches: false, argv: [], durationMs: 0 };
  }
  const lockfileMatches = theirs !== null && ours.equals(theirs);
  const pnpm = options.pnpm ?? 'pnpm';
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    execFile(
      pnpm,
      argv,
      {
        cwd: dir,
        env: options.env ?? installEnv(),
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 300_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve();
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        const output = `${stderr}\n${stdout}`.trim();
        reject(
          new FactoryError(
            'install_error',
            `pnpm install --offline failed in ${dir}${lockfileMatches ? '' : ` (its ${LOCKFILE} differs from the source repository's)`}: ${output.split('\n')[0] ?? String(code)}`,
            {
              dir,
              argv: [pnpm, ...argv],
              exitCode: typeof code === 'number' ? code : null,
              timedOut: error.killed,
              lockfileMatches,
              output: output.slice(-4000),
            },
            { cause: error },
          ),
        );
      },
    );
  });
  return {
    status: 'installed',
    lockfileMatches,
    argv: [pnpm, ...argv],
    durationMs: Math.round(performance.now() - started),
  };
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { forgeFromEnv } from '@dark-factory/forge';
import pino from 'pino';
import type { EngineDeps } from '../engine/deps.ts';
import { FactoryError } from '../errors.ts';
import { AnthropicModelClient } from '../model/client.ts';
import { DEFAULT_MODELS, type ModelsConfig } from '../model/types.ts';
import { secretValues } from '../redact.ts';
import { openRunReader, openRunStore } from '../runs/index.ts';
import type { RunReader } from '../runs/remote.ts';
import type { RunStore } from '../runs/types.ts';
import { repoTopLevel } from '../workspace/git.ts';
import { type Env, forgeDirFromEnv } from './context.ts';

/** The login the factory writes to the local forge as (GitHub: the token's user). */
export const FACTORY_LOGIN = 'dark-factory';

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function modelsFromEnv(env: Env): ModelsConfig {
  return {
    main: envValue(env, 'FACTORY_MODEL') ?? DEFAULT_MODELS.main,
    triage: envValue(env, 'FACTORY_TRIAGE_MODEL') ?? DEFAULT_MODELS.triage,
    review: envValue(env, 'FACTORY_REVIEW_MODEL') ?? DEFAULT_MODELS.review,
  };
}

/** `<DATA_DIR>/factory`: the run store (PGlite) and the work area (worktrees, judge, gate cache). */
export function factoryDirs(env: Env, cwd: string): { storeDir: string; workDir: string } {
  const dataDir = path.resolve(cwd, envValue(env, 'DATA_DIR') ?? '.data');
  const root = path.join(dataDir, 'factory');
  return {
    storeDir: path.resolve(cwd, envValue(env, 'FACTORY_STORE_DIR') ?? path.join(root, 'store')),
    workDir: path.resolve(cwd, envValue(env, 'FACTORY_WORK_DIR') ?? path.join(root, 'work')),
  };
}

export function cliLogger(env: Env): pino.Logger {
  return pino(
    { level: envValue(env, 'LOG_LEVEL') ?? 'silent', base: { app: 'factory' } },
    pino.destination({ dest: 2, sync: true }),
  );
}

export interface OpenEngineOptions {
  env: Env;
  cwd: string;
  repo?: string;
  base: string;
  progress: (line: string) => void;
  /** Commands that only read (status) may run without a key. */
  needsModel: boolean;
  /** Named in the "store in use" message a second process gets. */
  label?: string;
  /**
   * A run store this process already holds (`serve --worker`: the server's). The engine uses it and
   * leaves closing it to its owner.
   */
  store?: RunStore;
}

/** Builds the engine's dependencies from the environment (the only place that reads it). */
export async function openEngine(
  options: OpenEngineOptions,
): Promise<{ deps: EngineDeps; close(): Promise<void> }> {
  const { env, cwd } = options;
  const apiKey = envValue(env, 'ANTHROPIC_API_KEY');
  if (options.needsModel && !apiKey) {
    throw new FactoryError(
      'usage',
      'ANTHROPIC_API_KEY is not set: the factory needs a model (set ANTHROPIC_BASE_URL for another Anthropic-compatible endpoint; `pnpm factory demo` runs against a scripted one)',
    );
  }
  const repo = options.repo ? path.resolve(cwd, options.repo) : await repoTopLevel(cwd);
  const logger = cliLogger(env);
  const { storeDir, workDir } = factoryDirs(env, cwd);
  const store: RunStore =
    options.store ??
    (await openRunStore({
      databaseUrl: envValue(env, 'DATABASE_URL'),
      dataDir: storeDir,
      logger,
      label: options.label ?? 'pnpm factory',
      secrets: secretValues(env),
    }));
  const forge = forgeFromEnv(env, { localDir: forgeDirFromEnv(env, cwd), logger, author: FACTORY_LOGIN });
  const stream = envValue(env, 'FACTORY_STREAM') !== '0';
  const deps: EngineDeps = {
    forge,
    store,
    createModel: (hooks) =>
      new AnthropicModelClient({
        apiKey: apiKey ?? '',
        baseURL: envValue(env, 'ANTHROPIC_BASE_URL'),
        stream,
        maxRetries: Number(envValue(env, 'FACTORY_MODEL_RETRIES') ?? 2),
        budget: hooks.budget,
        onAttempt: hooks.onAttempt,
        onUsage: hooks.onUsage,
      }),
    models: modelsFromEnv(env),
    repo,
    base: options.base,
    workDir,
    env: { ...env, FACTORY_STORE_DIR: storeDir },
    logger,
    progress: options.progress,
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    leaseTtlMs: Number(envValue(env, 'FACTORY_LEASE_SECONDS') ?? 60) * 1000,
  };
  return { deps, close: () => (options.store ? Promise.resolve() : store.close()) };
}

/** Read-only access for status: directly, or through the process that owns the embedded store. */
export async function openReader(env: Env, cwd: string): Promise<RunReader & { close(): Promise<void> }> {
  const { storeDir } = factoryDirs(env, cwd);
  return openRunReader({ databaseUrl: envValue(env, 'DATABASE_URL'), dataDir: storeDir });
}

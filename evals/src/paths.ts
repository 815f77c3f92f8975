import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The evals package directory (…/evals), whatever the current directory. */
export const EVALS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(EVALS_DIR, '..');
export const DATASETS_DIR = path.join(EVALS_DIR, 'datasets');
export const DEFAULT_GATE_CONFIG = path.join(EVALS_DIR, 'gate.json');
export const DEFAULT_BASELINE = path.join(EVALS_DIR, 'baselines', 'main.json');

/** `../shared` beside the repo, or `$SHARED_DIR`. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHARED_DIR ? path.resolve(env.SHARED_DIR) : path.resolve(REPO_ROOT, '..', 'shared');
}

export function devDatasets(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = path.join(sharedDir(env), 'evals');
  return ['key-moments.dev.jsonl', 'concepts.dev.jsonl', 'answerability.dev.jsonl'].map((f) =>
    path.join(dir, f),
  );
}

/** A path for display/JSON: relative to `base` when that is shorter and unambiguous. */
export function displayPath(abs: string, base: string): string {
  const rel = path.relative(base, abs);
  return rel && !path.isAbsolute(rel) ? rel : abs;
}

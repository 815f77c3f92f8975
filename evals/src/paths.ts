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

/**
 * The sets the gate runs: the shared dev sets, then the project's own: answerability cases (20
 * refusals and 12 answerable of our own, and the 48 blind cases written without the code), which
 * give the refusal and answer metrics the cases a 30-40-case set cannot resolve, and the regression
 * cases of fixed bugs (each must keep passing: gate.ts).
 */
export function devDatasets(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = path.join(sharedDir(env), 'evals');
  return [
    ...['key-moments.dev.jsonl', 'concepts.dev.jsonl', 'answerability.dev.jsonl'].map((f) =>
      path.join(dir, f),
    ),
    ...OWN_DATASETS.map((f) => path.join(DATASETS_DIR, f)),
  ];
}

/** The project's own gated sets, in evals/datasets. */
export const OWN_DATASETS = ['refusal.dev.jsonl', 'answerability.fresh.jsonl', 'regression.jsonl'] as const;

/** A path for display/JSON: relative to `base` when that is shorter and unambiguous. */
export function displayPath(abs: string, base: string): string {
  const rel = path.relative(base, abs);
  // "/data/x.jsonl" typed from /work/main stays as typed, not "../../data/x.jsonl".
  return rel && !path.isAbsolute(rel) && rel.length < abs.length ? rel : abs;
}

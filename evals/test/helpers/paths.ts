import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const EVALS_DIR = path.resolve(TEST_DIR, '..');
export const REPO_ROOT = path.resolve(EVALS_DIR, '..');
/** `../shared` beside the repo (override with SHARED_DIR). */
export const SHARED_DIR = process.env.SHARED_DIR
  ? path.resolve(process.env.SHARED_DIR)
  : path.resolve(REPO_ROOT, '..', 'shared');
export const DEV_SETS = ['key-moments.dev.jsonl', 'concepts.dev.jsonl', 'answerability.dev.jsonl'].map((f) =>
  path.join(SHARED_DIR, 'evals', f),
);

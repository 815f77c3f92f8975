import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';

/**
 * @huggingface/transformers (with onnxruntime, about 400 MB) is the opt-in EMBEDDER=transformers's
 * alone, so the workspace's install leaves it out: it lives in a project of its own,
 * rag-app/optional/transformers, installed on request, and is imported from there only when that
 * embedder is chosen.
 */
export const TRANSFORMERS_PROJECT = fileURLToPath(new URL('../../optional/transformers/', import.meta.url));
export const TRANSFORMERS_INSTALL = 'pnpm --dir rag-app/optional/transformers install --frozen-lockfile';

/** The part of the library the embedder uses (its own types come with the package, which may be absent). */
export interface TransformersLibrary {
  env: {
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    useFSCache: boolean;
    localModelPath: string;
  };
  pipeline(
    task: 'feature-extraction',
    model: string,
    options: { local_files_only: boolean; dtype: 'fp32'; device: 'cpu' },
  ): Promise<FeatureExtractor>;
}

export interface FeatureExtractor {
  (texts: string[], options: { pooling: 'mean'; normalize: boolean }): Promise<{ tolist(): unknown }>;
  dispose(): Promise<unknown>;
}

/** Whether the optional project was installed (its node_modules holds the library). */
export function transformersInstalled(project: string = TRANSFORMERS_PROJECT): boolean {
  return existsSync(path.join(project, 'node_modules', '@huggingface', 'transformers', 'package.json'));
}

/** A ConfigError naming the install command when the library was not installed. */
export function assertTransformersInstalled(project: string = TRANSFORMERS_PROJECT): void {
  if (!transformersInstalled(project)) {
    throw new ConfigError(
      `EMBEDDER=transformers needs @huggingface/transformers, which the default install leaves out (about 400 MB with onnxruntime): install it with \`${TRANSFORMERS_INSTALL}\` (or bash scripts/setup.sh --transformers)`,
      { project },
    );
  }
}

/** Imports the library from the optional project. */
export async function loadTransformers(project: string = TRANSFORMERS_PROJECT): Promise<TransformersLibrary> {
  assertTransformersInstalled(project);
  return (await import(pathToFileURL(path.join(project, 'index.js')).href)) as TransformersLibrary;
}

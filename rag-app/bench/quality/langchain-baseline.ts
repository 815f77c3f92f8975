/**
 * Where the LangChain baseline comes from. LangChain.js (@langchain/core, community, textsplitters:
 * about 130 MB with the OpenAI SDK, langsmith and js-tiktoken they bring) serves only this baseline and
 * the tests of `@dark-factory/rag-app/langchain`, so the workspace's install leaves it out: it lives in
 * rag-app/optional/langchain, a pnpm project of its own, and rag-app's devDependencies link its three
 * packages into rag-app/node_modules (the links dangle until that project is installed). The pipeline
 * (langchain-pipeline.ts) is imported only through `loadLangchainBaseline`, so that nothing else of the
 * benchmark needs LangChain to load or to type-check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import type { Transcript } from '../../src/types.ts';
import type { RankedSpan } from './metrics.ts';

const APP_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const LANGCHAIN_PROJECT = path.join(APP_DIR, 'optional', 'langchain');
export const LANGCHAIN_INSTALL = 'pnpm --dir rag-app/optional/langchain install --frozen-lockfile';
export const LANGCHAIN_PACKAGES = ['@langchain/core', '@langchain/community', '@langchain/textsplitters'];

/** The splitter's settings: LangChain's documented defaults for RecursiveCharacterTextSplitter. */
export const SPLITTER = { chunkSize: 1000, chunkOverlap: 200 } as const;

export interface BaselineChunk {
  videoId: string;
  start: number;
  end: number;
  text: string;
}

/** What the pipeline provides (langchain-pipeline.ts exports `baseline` of this type). */
export interface LangchainBaseline {
  /** The splitter's chunks of every transcript, each with the span of the segments it holds. */
  splitTranscripts(transcripts: readonly Transcript[]): Promise<BaselineChunk[]>;
  /** LangChain's BM25Retriever over the chunks, returning the top `k` as ranked spans. */
  langchainBm25(chunks: readonly BaselineChunk[], k: number): (query: string) => Promise<RankedSpan[]>;
}

export const toSpan = (c: BaselineChunk): RankedSpan => ({
  videoId: c.videoId,
  start: c.start,
  end: c.end,
  linkSecond: Math.floor(c.start),
});

/** Whether rag-app resolves the three packages (the optional project is installed and linked). */
export function langchainInstalled(appDir: string = APP_DIR): boolean {
  return LANGCHAIN_PACKAGES.every((p) => existsSync(path.join(appDir, 'node_modules', p, 'package.json')));
}

/** A ConfigError naming the install command (with `detail` appended). */
export function langchainMissing(detail = ''): ConfigError {
  return new ConfigError(
    `LangChain is not installed: the default install leaves it out (rag-app/optional/langchain, about 130 MB). Install it with \`${LANGCHAIN_INSTALL}\` (or bash scripts/setup.sh --langchain)${detail}`,
    { project: LANGCHAIN_PROJECT },
  );
}

/**
 * Installs the optional project from its lockfile when it is missing (`pnpm bench` does this for its
 * quality section), saying so first; a failed install throws naming the command.
 */
export function ensureLangchain(say: (line: string) => void): void {
  if (langchainInstalled()) return;
  say(`quality: LangChain is not installed, installing it (${LANGCHAIN_INSTALL})`);
  const argv = ['--dir', LANGCHAIN_PROJECT, 'install', '--frozen-lockfile', '--reporter=silent'];
  // pnpm's output goes to stderr with the bench's progress, leaving stdout to the report.
  const run = spawnSync('pnpm', argv, { stdio: ['ignore', 2, 2] });
  if (run.error || run.status !== 0 || !langchainInstalled()) {
    const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}`;
    throw langchainMissing(`; installing it failed (${why})`);
  }
}

/** The pipeline, imported from a computed URL so that the type-checker does not follow it. */
export async function loadLangchainBaseline(): Promise<LangchainBaseline> {
  if (!langchainInstalled()) throw langchainMissing();
  const pipeline = new URL('./langchain-pipeline.ts', import.meta.url).href;
  return ((await import(pipeline)) as { baseline: LangchainBaseline }).baseline;
}

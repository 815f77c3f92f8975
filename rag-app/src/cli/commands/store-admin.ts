import { loadConfig } from '../../config.ts';
import { type CliContext, writeLine } from '../context.ts';
import { printJson } from '../format.ts';
import { remoteStats } from '../remote.ts';
import { withRag, withStore } from '../store.ts';

/** `rag reindex`: every stored vector dropped and embedded again with the configured EMBEDDER. */
export async function reindex(ctx: CliContext): Promise<number> {
  const config = loadConfig(ctx.env, ctx.cwd);
  const res = await withRag(config, (rag) => rag.reindex((m) => writeLine(ctx.stderr, m)));
  writeLine(ctx.stdout, `reindexed ${res.chunks} chunks with ${res.provider ?? 'no embedder (BM25 only)'}`);
  return 0;
}

/** `rag stats`: the videos and chunks in the store, as JSON. */
export async function stats(ctx: CliContext): Promise<number> {
  const config = loadConfig(ctx.env, ctx.cwd);
  printJson(ctx.stdout, await withStore(config, (rag) => rag.stats(), remoteStats));
  return 0;
}

import path from 'node:path';
import { loadConfig } from '../../config.ts';
import { corpusSource } from '../../ingest/sources.ts';
import { type CliContext, writeLine } from '../context.ts';
import { countsLine, ingestProgress } from '../progress.ts';
import { withRag } from '../store.ts';
import { corpusSize } from './ingest.ts';

/**
 * `rag serve`: serves until SIGINT/SIGTERM, when the server stops gracefully and the process exits 0
 * (http/serve.ts). Resolves once the server listens.
 */
export async function serve(ctx: CliContext, opts: { corpus?: string }): Promise<number> {
  const config = loadConfig(ctx.env, ctx.cwd);
  // --corpus loads in the foreground with progress; CORPUS_DIR alone is loaded by the server in the
  // background when the store is empty.
  const corpus = opts.corpus;
  if (corpus) {
    await withRag(config, async (rag) => {
      const dir = path.resolve(ctx.cwd, corpus);
      const total = corpusSize(dir);
      const progress = ingestProgress(total, { stderr: ctx.stderr });
      const s = await rag
        .ingest(corpusSource(dir), { onItem: progress.onItem, total })
        .finally(progress.stop);
      writeLine(ctx.stderr, `corpus: ${countsLine(s)} (${s.seconds}s)`);
    });
  }
  const server = await import('../../http/serve.ts');
  await server.serve(config);
  return 0;
}

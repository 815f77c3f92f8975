import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config.ts';
import { RagError } from '../../errors.ts';
import { corpusSource, fileSource, readVideoList, youtubeSource } from '../../ingest/sources.ts';
import type { SourceItem } from '../../types.ts';
import { type CliContext, writeLine } from '../context.ts';
import { printJson } from '../format.ts';
import { countsLine, type IngestProgress, ingestProgress } from '../progress.ts';
import { remoteIngest } from '../remote.ts';
import { withStore } from '../store.ts';

export interface IngestOptions {
  corpus?: string;
  file?: string[];
  list?: string;
  videoId?: string;
  title?: string;
  json?: boolean;
  verbose?: boolean;
}

/** The corpus format's videos: one `.md` file each. */
export function corpusSize(dir: string): number {
  return readdirSync(dir).filter((f) => f.endsWith('.md')).length;
}

/** `rag ingest`: exit 1 when every video failed. */
export async function ingest(ctx: CliContext, videos: string[], opts: IngestOptions): Promise<number> {
  const fromUser = (p: string) => path.resolve(ctx.cwd, p);
  const config = loadConfig(ctx.env, ctx.cwd);
  const sources: { items: AsyncIterable<SourceItem>; total?: number }[] = [];
  if (opts.corpus) {
    const dir = fromUser(opts.corpus);
    sources.push({ items: corpusSource(dir), total: corpusSize(dir) });
  }
  if (opts.file?.length) {
    sources.push({
      items: fileSource(opts.file.map(fromUser), {
        ...(opts.videoId ? { videoId: opts.videoId } : {}),
        ...(opts.title ? { title: opts.title } : {}),
      }),
      total: opts.file.length,
    });
  }
  const refs = [...videos, ...(opts.list ? await readVideoList(fromUser(opts.list)) : [])];
  if (refs.length) sources.push({ items: youtubeSource(refs), total: refs.length });
  if (sources.length === 0)
    throw new RagError(
      'usage',
      'nothing to ingest: give video ids/urls, --corpus <dir>, --file <path> or --list <file>',
    );
  const total = sources.reduce((n, s) => n + (s.total ?? 0), 0);
  const withProgress = async <T>(fn: (onItem: IngestProgress['onItem']) => Promise<T>) => {
    const progress = ingestProgress(total, { stderr: ctx.stderr, verbose: opts.verbose ?? false });
    try {
      return await fn(progress.onItem);
    } finally {
      progress.stop();
    }
  };
  const items = () => concat(sources.map((s) => s.items));
  const summary = await withStore(
    config,
    (rag) => withProgress((onItem) => rag.ingest(items(), { onItem, total })),
    (api) => withProgress((onItem) => remoteIngest(api, items(), { onItem })),
  );
  if (opts.json) printJson(ctx.stdout, summary);
  else {
    for (const f of summary.items.filter((i) => i.status === 'failed'))
      writeLine(ctx.stderr, `failed ${f.ref}: ${f.reason}`);
    writeLine(ctx.stdout, `videos: ${countsLine(summary)}; ${summary.chunks} chunks; ${summary.seconds}s`);
  }
  return summary.failed > 0 && summary.added + summary.updated + summary.skipped === 0 ? 1 : 0;
}

async function* concat(sources: AsyncIterable<SourceItem>[]): AsyncGenerator<SourceItem> {
  for (const s of sources) yield* s;
}

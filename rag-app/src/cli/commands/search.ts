import { formatTimestamp } from '@dark-factory/kit';
import { loadConfig } from '../../config.ts';
import type { SearchHit } from '../../types.ts';
import { type CliContext, writeLine } from '../context.ts';
import { printJson } from '../format.ts';
import { remoteSearch } from '../remote.ts';
import { withStore } from '../store.ts';

export interface SearchCommandOptions {
  json?: boolean;
  k: number;
  video?: string;
  after?: string;
  before?: string;
}

/** `rag search`: ranked passages, as text or --json. */
export async function search(ctx: CliContext, query: string, opts: SearchCommandOptions): Promise<number> {
  const config = loadConfig(ctx.env, ctx.cwd);
  const options = {
    k: opts.k,
    ...(opts.video ? { videoId: opts.video } : {}),
    ...(opts.after ? { publishedAfter: opts.after } : {}),
    ...(opts.before ? { publishedBefore: opts.before } : {}),
  };
  const hits: SearchHit[] = await withStore(
    config,
    (rag) => rag.search(query, options),
    (api) => remoteSearch(api, query, options),
  );
  if (opts.json) {
    printJson(
      ctx.stdout,
      hits.map((h) => ({
        videoId: h.videoId,
        title: h.title,
        start: h.start,
        end: h.end,
        url: h.url,
        text: h.text,
        score: h.score,
        citeStart: h.citeStart,
        published: h.published,
        scores: h.scores,
      })),
    );
    return 0;
  }
  hits.forEach((h, i) => {
    writeLine(
      ctx.stdout,
      `${i + 1}. ${h.title} @ ${formatTimestamp(h.citeStart)} (${h.score.toFixed(4)})  ${h.url}\n   ${h.text.slice(0, 160)}…`,
    );
  });
  return 0;
}

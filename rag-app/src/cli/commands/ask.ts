import { formatTimestamp } from '@dark-factory/kit';
import { loadConfig } from '../../config.ts';
import type { AskResult } from '../../types.ts';
import { type CliContext, writeLine } from '../context.ts';
import { printJson } from '../format.ts';
import { remoteAsk } from '../remote.ts';
import { withStore } from '../store.ts';

export interface AskCommandOptions {
  json?: boolean;
  k?: number;
  video?: string;
}

/** `rag ask`: the answer streams on a terminal; --json prints the answer contract. */
export async function ask(ctx: CliContext, question: string, opts: AskCommandOptions): Promise<number> {
  const config = loadConfig(ctx.env, ctx.cwd);
  const streaming = !opts.json && ctx.stdout.isTTY === true;
  const options = {
    ...(opts.k ? { k: opts.k } : {}),
    ...(opts.video ? { videoId: opts.video } : {}),
    ...(streaming ? { onToken: (t: string) => ctx.stdout.write(t) } : {}),
  };
  const result: AskResult = await withStore(
    config,
    (rag) => rag.ask(question, options),
    (api) => remoteAsk(api, question, options),
  );
  if (opts.json) {
    const { usage: _usage, ...contract } = result;
    printJson(ctx.stdout, result.usage ? result : contract);
    return 0;
  }
  if (!streaming) ctx.stdout.write(result.answer);
  ctx.stdout.write('\n');
  result.citations.forEach((c, i) => {
    writeLine(ctx.stdout, `  [${i + 1}] ${c.title} @ ${formatTimestamp(c.start)}  ${c.url}`);
  });
  return 0;
}

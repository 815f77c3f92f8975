import type { RagClient } from '../client.ts';
import { judgeFromEnv } from '../judge.ts';
import { renderHtml } from '../report/html.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { renderRunText } from '../report/text.ts';
import { runCases } from '../runner.ts';
import { serializeSummary, summarize } from '../summarize.ts';
import { readSummary, type Summary } from '../summary.ts';
import { type CliContext, cliLogger, resolveUserPath, shown } from './context.ts';
import { loadUserSuite, openClient, progressBar, writeOutput } from './shared.ts';

export interface RunCommandOptions {
  dataset: string[];
  facts?: string[];
  autoFacts?: boolean;
  json?: string;
  md?: string;
  html?: string;
  url?: string;
  concurrency?: number;
  baseline?: string;
}

/** Loads, runs and scores the datasets; a run over a holdout set is sealed. */
export async function runSuiteCommand(
  ctx: CliContext,
  opts: RunCommandOptions,
  client?: RagClient,
  quiet = false,
): Promise<Summary> {
  const suite = await loadUserSuite(ctx, opts.dataset, opts.facts ?? [], opts.autoFacts !== false);
  const opened = client ? { client, name: 'custom' } : await openClient(ctx, opts.url);
  const bar = progressBar(ctx, suite.holdout ? 'evals (holdout)' : 'evals');
  const started = performance.now();
  let summary: Summary;
  try {
    const results = await runCases(suite.cases, {
      client: opened.client,
      concurrency: opts.concurrency ?? 4,
      judge: judgeFromEnv(ctx.env),
      logger: cliLogger(ctx),
      onCase: (done, total) => bar.update(done, total),
    });
    bar.stop();
    summary = summarize(results, {
      dataset: suite.files,
      holdout: suite.holdout,
      client: opened.name,
      durationMs: performance.now() - started,
    });
  } finally {
    bar.stop();
    if (!client) await opened.client.close?.();
  }
  const baseline = opts.baseline
    ? await readSummary(resolveUserPath(ctx, opts.baseline), opts.baseline)
    : undefined;
  const labels = {
    candidate: 'this run',
    ...(opts.baseline ? { baseline: shown(ctx, resolveUserPath(ctx, opts.baseline)) } : {}),
  };
  if (opts.json) await writeOutput(ctx, opts.json, serializeSummary(summary));
  if (opts.md) await writeOutput(ctx, opts.md, renderMarkdown({ candidate: summary, baseline, labels }));
  if (opts.html) await writeOutput(ctx, opts.html, renderHtml({ candidate: summary, baseline, labels }));
  if (opts.json !== '-' && !quiet) ctx.stdout.write(renderRunText(summary));
  return summary;
}

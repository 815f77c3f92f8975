import { readGateConfig } from '../gate.ts';
import { DEFAULT_BASELINE, DEFAULT_GATE_CONFIG, devDatasets } from '../paths.ts';
import { type RatchetResult, ratchetBaseline } from '../ratchet.ts';
import { renderRunText } from '../report/text.ts';
import { serializeSummary } from '../summarize.ts';
import { readSummary } from '../summary.ts';
import { type CliContext, resolveUserPath, shown } from './context.ts';
import { refuseEmpty } from './empty-run.ts';
import { runSuiteCommand } from './run.ts';
import { writeOutput } from './shared.ts';

export interface BaselineCommandOptions {
  dataset?: string[];
  out?: string;
  url?: string;
  concurrency?: number;
  /** Raise the existing baseline only where the run is significantly better. */
  ratchet?: boolean;
  /** With --ratchet: a run summary to ratchet with, instead of running the dev sets. */
  from?: string;
  config?: string;
}

/** `evals baseline`: rewrite the baseline from a fresh run, or (--ratchet) raise it metric by metric. */
export async function baselineCommand(
  ctx: CliContext,
  opts: BaselineCommandOptions,
): Promise<RatchetResult | undefined> {
  const out = opts.out ? resolveUserPath(ctx, opts.out) : DEFAULT_BASELINE;
  const dataset = opts.dataset?.length ? opts.dataset : devDatasets(ctx.env);
  if (!opts.ratchet) {
    const run = await runSuiteCommand(
      ctx,
      { dataset, url: opts.url, concurrency: opts.concurrency, json: undefined },
      undefined,
      true,
    );
    refuseEmpty(ctx, run, 'the baseline');
    await writeOutput(ctx, out, serializeSummary(run));
    if (opts.out !== '-') ctx.stdout.write(renderRunText(run));
    return undefined;
  }
  const configPath = opts.config ? resolveUserPath(ctx, opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(ctx, configPath));
  const old = await readSummary(out, shown(ctx, out));
  const run = opts.from
    ? await readSummary(resolveUserPath(ctx, opts.from), opts.from)
    : await runSuiteCommand(
        ctx,
        { dataset, url: opts.url, concurrency: opts.concurrency, json: undefined },
        undefined,
        true,
      );
  refuseEmpty(ctx, run, 'the baseline');
  const result = ratchetBaseline(old, run, config.bootstrap);
  if (result.raised.length || result.decisions.some((d) => d.action === 'added')) {
    await writeOutput(ctx, out, serializeSummary(result.baseline));
  }
  const lines = [
    `ratchet of ${shown(ctx, out)} (${Math.round(config.bootstrap.confidence * 100)} % paired CI of Δ):`,
  ];
  for (const d of result.decisions) {
    const ci = d.lo !== undefined ? ` CI [${d.lo.toFixed(3)}, ${d.hi!.toFixed(3)}]` : '';
    lines.push(
      `  ${d.action.padEnd(6)} ${d.metric.padEnd(24)} ${d.baseline?.toFixed(3) ?? '–'} → ${d.run?.toFixed(3) ?? '–'}${ci}`,
    );
  }
  lines.push(
    result.raised.length
      ? `raised: ${result.raised.join(', ')} — commit ${shown(ctx, out)} on its own`
      : 'nothing significantly better: the baseline stays as it is',
  );
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return result;
}

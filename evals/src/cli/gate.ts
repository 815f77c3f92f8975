import path from 'node:path';
import { assertResolvable, evaluateGate, type GateResult, readGateConfig } from '../gate.ts';
import { DEFAULT_GATE_CONFIG } from '../paths.ts';
import { type PowerRecord, readPowerRecord } from '../power.ts';
import { renderHtml } from '../report/html.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { renderGateText } from '../report/text.ts';
import type { GateMode } from '../stats/power.ts';
import { readSummary } from '../summary.ts';
import { type CliContext, resolveUserPath, shown } from './context.ts';
import { writeOutput } from './shared.ts';

export interface GateCommandOptions {
  baseline: string;
  candidate: string;
  config?: string;
  mode?: GateMode;
  reference?: string;
  md?: string;
  html?: string;
  json?: string;
}

/** The config's power record, resolved against the config's directory; undefined when it names none. */
export async function configPowerRecord(
  ctx: CliContext,
  configPath: string,
  record: string | undefined,
): Promise<PowerRecord | undefined> {
  if (!record) return undefined;
  const file = path.resolve(path.dirname(configPath), record);
  return readPowerRecord(file, shown(ctx, file));
}

export async function gateCommand(ctx: CliContext, opts: GateCommandOptions): Promise<GateResult> {
  const configPath = opts.config ? resolveUserPath(ctx, opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(ctx, configPath));
  const mode = opts.mode ?? config.mode;
  const power = await configPowerRecord(ctx, configPath, config.power?.record);
  // A margin the measured data cannot resolve makes every verdict a coin toss: refuse before judging.
  if (power) assertResolvable(config, power, mode);
  const baseline = await readSummary(resolveUserPath(ctx, opts.baseline), opts.baseline);
  const candidate = await readSummary(resolveUserPath(ctx, opts.candidate), opts.candidate);
  const reference = opts.reference
    ? {
        summary: await readSummary(resolveUserPath(ctx, opts.reference), opts.reference),
        label: opts.reference,
      }
    : undefined;
  const gate = evaluateGate(baseline, candidate, config, { mode, reference, power });
  const labels = { baseline: opts.baseline, candidate: opts.candidate };
  if (opts.md) await writeOutput(ctx, opts.md, renderMarkdown({ candidate, baseline, gate, labels }));
  if (opts.html) await writeOutput(ctx, opts.html, renderHtml({ candidate, baseline, gate, labels }));
  if (opts.json) await writeOutput(ctx, opts.json, `${JSON.stringify(gate, null, 2)}\n`);
  if (opts.json !== '-') ctx.stdout.write(renderGateText(gate));
  return gate;
}

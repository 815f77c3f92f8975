import { evaluateGate, type GateResult, readGateConfig } from '../gate.ts';
import { DEFAULT_GATE_CONFIG } from '../paths.ts';
import { renderHtml } from '../report/html.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { renderGateText } from '../report/text.ts';
import { readSummary } from '../summary.ts';
import { resolveUserPath, shown, writeOutput } from './shared.ts';

export interface GateCommandOptions {
  baseline: string;
  candidate: string;
  config?: string;
  md?: string;
  html?: string;
  json?: string;
}

export async function gateCommand(opts: GateCommandOptions): Promise<GateResult> {
  const configPath = opts.config ? resolveUserPath(opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(configPath));
  const baseline = await readSummary(resolveUserPath(opts.baseline), opts.baseline);
  const candidate = await readSummary(resolveUserPath(opts.candidate), opts.candidate);
  const gate = evaluateGate(baseline, candidate, config);
  const labels = { baseline: opts.baseline, candidate: opts.candidate };
  if (opts.md) await writeOutput(opts.md, renderMarkdown({ candidate, baseline, gate, labels }));
  if (opts.html) await writeOutput(opts.html, renderHtml({ candidate, baseline, gate, labels }));
  if (opts.json) await writeOutput(opts.json, `${JSON.stringify(gate, null, 2)}\n`);
  if (opts.json !== '-') process.stdout.write(renderGateText(gate));
  return gate;
}

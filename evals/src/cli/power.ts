import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EvalsError } from '../errors.ts';
import { assertResolvable, readGateConfig } from '../gate.ts';
import { openInProcessVariants } from '../inprocess.ts';
import { isRateMetric } from '../metrics/aggregate.ts';
import { DEFAULT_GATE_CONFIG, devDatasets } from '../paths.ts';
import { buildPowerRecord, type PowerRecord } from '../power.ts';
import { powerLine } from '../report/text.ts';
import { type PowerTableRow, powerTable } from '../slight.ts';
import type { GateMode } from '../stats/power.ts';
import { readSummary } from '../summary.ts';
import { measureVariants, neutralControls, SLIGHT_MUTANTS } from '../variants.ts';
import { type CliContext, cliLogger, resolveUserPath, shown } from './context.ts';
import { refuseEmpty } from './empty-run.ts';
import { configPowerRecord } from './gate.ts';
import { loadUserSuite, progressBar, writeOutput } from './shared.ts';

export interface PowerCommandOptions {
  config?: string;
  mode?: GateMode;
  /** Summaries of real runs to take the paired variance from (with --baseline). */
  run?: string[];
  /** Run the slight mutants and neutral controls in-process and measure the variance anew. */
  measure?: boolean;
  baseline?: string;
  dataset?: string[];
  neutralSeeds?: number;
  concurrency?: number;
  /** Write the power record (true: the config's record path). */
  write?: string | boolean;
  json?: string;
}

export interface PowerOutcome {
  mode: GateMode;
  record: PowerRecord;
  rows: PowerTableRow[];
  /** Why the config's margins are refused, one line each (empty: resolved). */
  refused: string[];
}

export async function powerCommand(ctx: CliContext, opts: PowerCommandOptions): Promise<PowerOutcome> {
  const configPath = opts.config ? resolveUserPath(ctx, opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(ctx, configPath));
  const mode = opts.mode ?? config.mode;
  const gated = Object.keys(config.metrics).filter(isRateMetric);
  let record: PowerRecord;
  if (opts.run?.length) {
    if (!opts.baseline)
      throw new EvalsError('power', '--run needs --baseline <summary.json> (the unchanged run)');
    const baseline = await readSummary(resolveUserPath(ctx, opts.baseline), opts.baseline);
    const runs = await Promise.all(
      opts.run.map(async (r) => ({
        name: path.basename(r, '.json'),
        role: 'candidate' as const,
        summary: await readSummary(resolveUserPath(ctx, r), r),
      })),
    );
    record = buildPowerRecord(baseline, runs, gated);
  } else if (!opts.measure) {
    const committed = await configPowerRecord(
      ctx,
      configPath,
      config.power?.record ?? 'baselines/power.json',
    );
    if (!committed) throw new EvalsError('power', 'no power record configured');
    record = committed;
  } else {
    const suite = await loadUserSuite(
      ctx,
      opts.dataset?.length ? opts.dataset : devDatasets(ctx.env),
      [],
      true,
    );
    if (suite.holdout)
      throw new EvalsError('holdout', 'power is measured on development sets, not holdout sets');
    const opened = await openInProcessVariants(ctx.env, ctx.cwd);
    let bar = progressBar(ctx, 'unchanged');
    try {
      const seeds = Array.from({ length: opts.neutralSeeds ?? 5 }, (_, i) => i + 1);
      const measured = await measureVariants(suite.cases, {
        open: opened.open,
        client: opened.client,
        variants: [...SLIGHT_MUTANTS, ...neutralControls(seeds)],
        dataset: suite.files,
        concurrency: opts.concurrency ?? 4,
        logger: cliLogger(ctx),
        onRun: (run, i, total) => {
          bar.stop();
          bar = progressBar(ctx, `${i}/${total} ${run}`);
        },
        onCase: (done, total) => bar.update(done, total),
      });
      refuseEmpty(ctx, measured.baseline, 'the power record');
      record = buildPowerRecord(
        measured.baseline,
        measured.runs.map((r) => ({ name: r.variant.name, role: r.variant.role, summary: r.summary })),
        gated,
      );
    } finally {
      bar.stop();
      await opened.client.close?.();
    }
  }
  let refused: string[] = [];
  try {
    assertResolvable(config, record, mode);
  } catch (err) {
    if (!(err instanceof EvalsError)) throw err;
    refused = err.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  const rows = powerTable(record, config, mode);
  if (opts.write) {
    const file =
      typeof opts.write === 'string'
        ? resolveUserPath(ctx, opts.write)
        : path.resolve(path.dirname(configPath), config.power?.record ?? 'baselines/power.json');
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
    ctx.stderr.write(`power record written to ${shown(ctx, file)}\n`);
  }
  const outcome = { mode, record, rows, refused };
  if (opts.json)
    await writeOutput(ctx, opts.json, `${JSON.stringify({ mode, rows, refused, record }, null, 2)}\n`);
  if (opts.json !== '-') ctx.stdout.write(renderPowerText(outcome, config.bootstrap.confidence));
  return outcome;
}

export function renderPowerText(o: PowerOutcome, confidence: number): string {
  const lines = [
    `power of the gate (mode ${o.mode}, ${Math.round(confidence * 100)} % CI), from the paired variance of ${o.record.runs.length} real runs (${o.record.runs.map((r) => r.name).join(', ')}):`,
  ];
  for (const r of o.rows) lines.push(`  ${r.dataset.padEnd(26)} ${powerLine(r)}`);
  lines.push(
    o.refused.length
      ? 'the config asks for margins its data cannot resolve:'
      : 'every margin is resolved by its data',
  );
  for (const r of o.refused) lines.push(`  ${r}`);
  return `${lines.join('\n')}\n`;
}

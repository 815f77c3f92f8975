import { EvalsError } from '../errors.ts';
import { readGateConfig } from '../gate.ts';
import { openInProcessVariants } from '../inprocess.ts';
import { callsCovered, type MutationReport, runMutationCheck, sampleCases } from '../mutants.ts';
import { DEFAULT_GATE_CONFIG, devDatasets } from '../paths.ts';
import { renderMutationText, renderSlightText } from '../report/text.ts';
import { judgeSlight, type SlightReport } from '../slight.ts';
import type { GateMode } from '../stats/power.ts';
import { measureVariants, neutralControls, SLIGHT_MUTANTS } from '../variants.ts';
import { type CliContext, cliLogger, resolveUserPath, shown } from './context.ts';
import { loadUserSuite, openClient, progressBar, writeOutput } from './shared.ts';

export interface MutateCommandOptions {
  dataset?: string[];
  sample: number;
  seed: number;
  url?: string;
  config?: string;
  mode?: GateMode;
  concurrency?: number;
  /** Run the slight mutants and neutral controls (in-process only; default true). */
  slight?: boolean;
  neutralSeeds?: number;
  syntheticSeeds?: number;
  json?: string;
}

export interface MutateOutcome {
  ok: boolean;
  gross: MutationReport;
  slight?: SlightReport;
}

export async function mutateCommand(ctx: CliContext, opts: MutateCommandOptions): Promise<MutateOutcome> {
  const configPath = opts.config ? resolveUserPath(ctx, opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(ctx, configPath));
  const mode = opts.mode ?? config.mode;
  const suite = await loadUserSuite(
    ctx,
    opts.dataset?.length ? opts.dataset : devDatasets(ctx.env),
    [],
    true,
  );
  if (suite.holdout) throw new EvalsError('holdout', 'the mutation check does not run on holdout sets');
  const cases = sampleCases(suite.cases, opts.sample, opts.seed);
  const covered = callsCovered(cases);
  if (!covered.search || !covered.ask) {
    throw new EvalsError(
      'sample',
      'the mutation check needs both retrieval cases and answer cases in its datasets',
    );
  }
  const slight = opts.slight !== false && !opts.url;
  const opened = slight ? await openInProcessVariants(ctx.env, ctx.cwd) : undefined;
  const { client, name } = opened
    ? { client: opened.client, name: 'in-process' }
    : await openClient(ctx, opts.url);
  let bar = progressBar(ctx, 'baseline');
  const onRun = (run: string, i: number, total: number) => {
    bar.stop();
    bar = progressBar(ctx, `${i}/${total} ${run}`);
  };
  try {
    const gross = await runMutationCheck(cases, {
      client,
      config: { ...config, mode },
      concurrency: opts.concurrency ?? 4,
      seed: opts.seed,
      dataset: suite.files,
      logger: cliLogger(ctx),
      onRun,
      onCase: (done, total) => bar.update(done, total),
    });
    bar.stop();
    ctx.stderr.write(`mutation check: ${cases.length} sampled cases against ${name}\n`);
    let slightReport: SlightReport | undefined;
    if (opened) {
      // Slight drops need every case: a 300-case sample cannot resolve a point or two.
      const seeds = Array.from({ length: opts.neutralSeeds ?? 10 }, (_, i) => i + 1);
      const measured = await measureVariants(suite.cases, {
        open: opened.open,
        client,
        variants: [...SLIGHT_MUTANTS, ...neutralControls(seeds)],
        dataset: suite.files,
        concurrency: opts.concurrency ?? 4,
        logger: cliLogger(ctx),
        onRun,
        onCase: (done, total) => bar.update(done, total),
      });
      bar.stop();
      slightReport = judgeSlight(measured.baseline, measured.runs, {
        config,
        mode,
        syntheticSeeds: opts.syntheticSeeds ?? 100,
      });
    } else {
      ctx.stderr.write(
        'mutation check: slight mutants skipped (they are rag-app variants: in-process only)\n',
      );
    }
    const outcome: MutateOutcome = {
      ok: gross.ok && (slightReport?.ok ?? true),
      gross,
      ...(slightReport ? { slight: slightReport } : {}),
    };
    if (opts.json) {
      const json = {
        ok: outcome.ok,
        mode,
        cases: { gross: gross.cases, slight: slightReport ? suite.cases.length : 0 },
        control: { pass: gross.control.pass, reasons: gross.control.gate.reasons },
        mutants: [
          ...gross.mutants.map((m) => ({
            name: m.name,
            kind: 'gross',
            description: m.description,
            drop: grossDrop(m.gate.checks),
            verdict: m.killed ? 'fail' : 'pass',
            ok: m.killed,
            failed: m.gate.checks.filter((c) => c.status === 'fail').map((c) => c.metric),
          })),
          ...(slightReport?.mutants ?? []).map((m) => ({
            name: m.name,
            kind: 'slight',
            description: m.description,
            drop: m.drop,
            metric: m.metric,
            delta: m.delta,
            atOrAboveMargin: m.atOrAboveMargin,
            verdict: m.verdict,
            ok: m.ok,
            failed: m.failed,
          })),
        ],
        ...(slightReport
          ? {
              neutral: slightReport.neutral,
              synthetic: slightReport.synthetic,
              neutralChurn: slightReport.neutralChurn,
              power: slightReport.power,
              // The power record these runs give (what `pnpm evals power --measure --write` stores).
              powerRecord: slightReport.record,
            }
          : {}),
      };
      await writeOutput(ctx, opts.json, `${JSON.stringify(json, null, 2)}\n`);
    }
    if (opts.json !== '-') {
      ctx.stdout.write(renderMutationText(gross));
      if (slightReport) ctx.stdout.write(renderSlightText(slightReport));
    }
    return outcome;
  } finally {
    bar.stop();
    await client.close?.();
  }
}

/** A gross mutant's largest drop over its gated metrics. */
function grossDrop(checks: { delta?: number | undefined }[]): number {
  const drops = checks.map((c) => -(c.delta ?? 0));
  return Math.round(Math.max(0, ...drops) * 1e5) / 1e5;
}

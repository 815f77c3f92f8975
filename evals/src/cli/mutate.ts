import { EvalsError } from '../errors.ts';
import { readGateConfig } from '../gate.ts';
import { callsCovered, type MutationReport, runMutationCheck, sampleCases } from '../mutants.ts';
import { DEFAULT_GATE_CONFIG, devDatasets } from '../paths.ts';
import { renderMutationText } from '../report/text.ts';
import { loadUserSuite, openClient, progressBar, resolveUserPath, shown, writeOutput } from './shared.ts';

export interface MutateCommandOptions {
  dataset?: string[];
  sample: number;
  seed: number;
  url?: string;
  config?: string;
  concurrency?: number;
  json?: string;
}

export async function mutateCommand(opts: MutateCommandOptions): Promise<MutationReport> {
  const configPath = opts.config ? resolveUserPath(opts.config) : DEFAULT_GATE_CONFIG;
  const config = await readGateConfig(configPath, shown(configPath));
  const suite = await loadUserSuite(opts.dataset?.length ? opts.dataset : devDatasets(), [], true);
  if (suite.holdout) throw new EvalsError('holdout', 'the mutation check does not run on holdout sets');
  const cases = sampleCases(suite.cases, opts.sample, opts.seed);
  const covered = callsCovered(cases);
  if (!covered.search || !covered.ask) {
    throw new EvalsError(
      'sample',
      'the mutation check needs both retrieval cases and answer cases in its datasets',
    );
  }
  const { client, name } = await openClient(opts.url);
  let bar = progressBar('baseline');
  try {
    const report = await runMutationCheck(cases, {
      client,
      config,
      concurrency: opts.concurrency ?? 4,
      seed: opts.seed,
      dataset: suite.files,
      onRun: (run, i, total) => {
        bar.stop();
        bar = progressBar(`${i}/${total} ${run}`);
      },
      onCase: (done, total) => bar.update(done, total),
    });
    bar.stop();
    process.stderr.write(`mutation check: ${cases.length} sampled cases against ${name}\n`);
    if (opts.json) {
      const slim = {
        ...report,
        baseline: undefined,
        mutants: report.mutants.map(({ candidate: _c, ...m }) => m),
      };
      await writeOutput(opts.json, `${JSON.stringify(slim, null, 2)}\n`);
    }
    if (opts.json !== '-') process.stdout.write(renderMutationText(report));
    return report;
  } finally {
    bar.stop();
    await client.close?.();
  }
}

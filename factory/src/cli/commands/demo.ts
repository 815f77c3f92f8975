import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { git, repoTopLevel } from '../../workspace/git.ts';
import type { CliContext } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { runReportText } from '../format.ts';
import { json, jsonOption } from './args.ts';

/** SHARED_DIR, else `../shared` beside the repository or beside its origin (as .ci/run finds it). */
export async function sharedDirFor(
  env: Record<string, string | undefined>,
  repo: string,
): Promise<string | undefined> {
  const origin = (
    await git(repo, ['config', '--get', 'remote.origin.url'], { okExitCodes: [0, 1] })
  ).stdout.trim();
  const candidates = [
    env.SHARED_DIR,
    path.join(repo, '..', 'shared'),
    origin && path.isAbsolute(origin) ? path.join(origin, '..', 'shared') : undefined,
  ].filter((d): d is string => Boolean(d));
  return candidates.find((d) => existsSync(path.join(d, 'corpus')) && existsSync(path.join(d, 'evals')));
}

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'run scenario (a) offline in a temporary copy of this repository, against a scripted model server: ' +
        'issue → triage → plan → implement → validate (fails) → fix → validate → review → squash merge',
    )
    .option('--keep', 'keep the temporary copy (its path is printed)')
    .option('--scenario <file.json>', 'another scenario file (format: factory/README.md)')
    .addOption(jsonOption('the run report and where the copy was'))
    .action(async (opts: { keep?: boolean; json?: boolean; scenario?: string }) => {
      const { removeDemo, runDemo } = await import('../../demo/run-demo.ts');
      const repo = await repoTopLevel(ctx.cwd);
      const result = await runDemo({
        sourceRepo: repo,
        ...(opts.scenario ? { scenarioPath: path.resolve(ctx.cwd, opts.scenario) } : {}),
        sharedDir: await sharedDirFor(ctx.env, repo),
        progress: (line) => ctx.err(`factory: ${line}`),
        env: ctx.env,
      });
      if (opts.json) {
        ctx.out(
          json({
            ...result.report,
            scripted: true,
            newCommits: result.newCommits,
            repoDir: opts.keep ? result.repoDir : null,
          }),
        );
      } else {
        ctx.out(
          [
            'The model in this demo is SCRIPTED: every answer comes from a scenario file served by a local',
            `Messages API server (${result.model.requests} requests answered); no real model was called.`,
            '',
            runReportText(result.report),
            '',
            `main of the temporary copy: ${result.newCommits.length} new commit(s)`,
            ...result.newCommits.map((c) => `  ${c}`),
            result.gate === 'slice'
              ? 'evals gate: main’s evals code on a corpus slice, main measured in the same run'
              : 'evals gate: skipped (no shared corpus beside the repository)',
            opts.keep ? `kept: ${result.workRoot}` : '',
          ]
            .filter((l, i, all) => l !== '' || i < all.length - 1)
            .join('\n'),
        );
      }
      if (!opts.keep) await removeDemo(result);
      if (result.report.status === 'failed') throw new ExitCode(1);
    });
}

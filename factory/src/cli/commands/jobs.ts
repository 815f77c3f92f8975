import { utcMinute } from '@dark-factory/kit';
import type { Command } from 'commander';
import type { DeadJob, PendingJob } from '../../queue/types.ts';
import type { CliContext } from '../context.ts';
import { itemNumber, json, jsonOption } from './args.ts';
import { openQueueFromEnv } from './worker.ts';

function cut(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `JOB ISSUE STATE ATTEMPT REASON CREATED NOTE` (pure, for the tests). */
export function pendingText(jobs: PendingJob[]): string {
  if (jobs.length === 0) return 'no jobs queued or running';
  return table([
    ['JOB', 'ISSUE', 'STATE', 'ATTEMPT', 'REASON', 'CREATED (UTC)', 'NOTE'],
    ...jobs.map((j) => [
      j.jobId.slice(0, 8),
      `#${j.job.issue}`,
      j.state,
      String(j.attempt),
      j.job.reason,
      utcMinute(j.createdAt),
      j.state === 'retry' ? cut(`retry after ${utcMinute(j.startAfter)}: ${j.lastError ?? ''}`, 70) : '',
    ]),
  ]);
}

/** `JOB ISSUE ATTEMPTS FAILED WHY` (pure, for the tests). */
export function deadText(jobs: DeadJob[]): string {
  if (jobs.length === 0) return 'no dead jobs';
  return table([
    ['JOB', 'ISSUE', 'ATTEMPTS', 'FAILED (UTC)', 'WHY'],
    ...jobs.map((j) => [
      j.jobId.slice(0, 8),
      `#${j.job.issue}`,
      String(j.attempts),
      utcMinute(j.failedAt),
      cut(j.reason, 90),
    ]),
  ]);
}

export function registerJobs(program: Command, ctx: CliContext): void {
  program
    .command('jobs')
    .description(
      'the issue jobs queued, waiting for a retry or running (--dead: those that failed for good, with why)',
    )
    .option('--dead', 'jobs that failed permanently or ran out of retries, newest first')
    .option('--limit <n>', 'at most this many', itemNumber, 50)
    .addOption(jsonOption('the jobs'))
    .action(async (opts: { dead?: boolean; json?: boolean; limit: number }) => {
      const { cliLogger } = await import('../engine.ts');
      const { queue } = await openQueueFromEnv(ctx, cliLogger(ctx.env), 'pnpm factory jobs');
      try {
        if (opts.dead) {
          const dead = await queue.dead(opts.limit);
          ctx.out(opts.json ? json(dead) : deadText(dead));
        } else {
          const pending = await queue.pending(opts.limit);
          ctx.out(opts.json ? json(pending) : pendingText(pending));
        }
      } finally {
        await queue.close();
      }
    });
}

import cliProgress from 'cli-progress';
import type { IngestItemResult, IngestStatus } from '../types.ts';
import { type TextSink, writeLine } from './context.ts';

export interface IngestProgress {
  onItem(result: IngestItemResult, done: number): void;
  stop(): void;
}

export interface IngestProgressOptions {
  stderr: TextSink;
  /** One line per video (`[12/198] added <ref>`) instead of the bar or the periodic lines. */
  verbose?: boolean;
}

/** Without a total, a progress line every this many videos. */
const LINE_EVERY = 25;
/** With a total, a progress line every tenth of it (so at most 9 before the summary). */
const STEPS = 10;

export type IngestCounts = Record<IngestStatus, number>;

export function countsLine(counts: IngestCounts): string {
  return `${counts.added} added, ${counts.updated} updated, ${counts.skipped} skipped, ${counts.failed} failed`;
}

/**
 * What a long ingest shows on stderr: a progress bar on a terminal; otherwise (CI logs, pipes) a
 * line with the counts every tenth of the way; with `verbose`, every video. The caller prints the
 * one-line summary and the failures at the end.
 */
export function ingestProgress(total: number | undefined, options: IngestProgressOptions): IngestProgress {
  const { stderr, verbose = false } = options;
  const counts: IngestCounts = { added: 0, updated: 0, skipped: 0, failed: 0 };
  const bar =
    stderr.isTTY && total && !verbose
      ? new cliProgress.SingleBar(
          {
            format: 'ingest [{bar}] {value}/{total} {ref}',
            hideCursor: true,
            // cli-progress draws on a terminal stream; the context's stderr is one when isTTY says so.
            stream: stderr as NodeJS.WriteStream,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(total ?? 0, 0, { ref: '' });
  const step = total ? Math.max(1, Math.ceil(total / STEPS)) : LINE_EVERY;
  return {
    onItem(r, done) {
      counts[r.status]++;
      if (bar) bar.update(done, { ref: r.videoId ?? r.ref });
      else if (verbose) {
        writeLine(
          stderr,
          `[${done}${total ? `/${total}` : ''}] ${r.status} ${r.ref}${r.reason ? `: ${r.reason}` : ''}`,
        );
      } else if (done % step === 0 && done !== total) {
        writeLine(stderr, `ingest ${done}${total ? `/${total}` : ''}: ${countsLine(counts)}`);
      }
    },
    stop: () => bar?.stop(),
  };
}

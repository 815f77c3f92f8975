import cliProgress from 'cli-progress';
import type { IngestItemResult } from '../types.ts';

/** A progress bar on stderr when it is a terminal; one line per item otherwise (CI logs). */
export function ingestProgress(total: number | undefined): {
  onItem: (r: IngestItemResult, done: number) => void;
  stop: () => void;
} {
  const tty = process.stderr.isTTY;
  const bar =
    tty && total
      ? new cliProgress.SingleBar(
          { format: 'ingest [{bar}] {value}/{total} {ref}', hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(total ?? 0, 0, { ref: '' });
  return {
    onItem(r, done) {
      if (bar) bar.update(done, { ref: r.videoId ?? r.ref });
      else if (r.status !== 'skipped' || done % 50 === 0) {
        process.stderr.write(
          `[${done}${total ? `/${total}` : ''}] ${r.status} ${r.ref}${r.reason ? `: ${r.reason}` : ''}\n`,
        );
      }
      if (bar && r.status === 'failed') process.stderr.write(`\nfailed ${r.ref}: ${r.reason}\n`);
    },
    stop: () => bar?.stop(),
  };
}

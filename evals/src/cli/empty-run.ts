import { EvalsError } from '../errors.ts';
import type { Summary } from '../summary.ts';
import type { CliContext } from './context.ts';

/**
 * Whether a run found nothing at all: no search case got a hit and every question was refused
 * (an empty store, or the wrong one). Recording that (as a baseline, or as the variance of a power
 * record) would gate nothing.
 */
export function foundNothing(run: Summary): boolean {
  const results = run.results ?? [];
  return (
    results.length > 0 &&
    results.every((r) => (r.call === 'search' ? (r.top?.length ?? 0) === 0 : r.refused === true))
  );
}

/** Throws `empty_run` for a run that found nothing, naming the store read and what was kept. */
export function refuseEmpty(ctx: CliContext, run: Summary, kept: string): void {
  if (!foundNothing(run)) return;
  const store = ctx.env.DATABASE_URL ? 'DATABASE_URL' : `DATA_DIR (${ctx.env.DATA_DIR ?? '.data'})`;
  throw new EvalsError(
    'empty_run',
    `the run found nothing for any of its ${run.results?.length ?? 0} cases (no search hit, every question refused): is the store in ${store} empty? Ingest the corpus first (pnpm rag ingest --corpus ../shared/corpus/cole-medin); ${kept} was left as it is`,
  );
}

/** The benchmark's sections and where a run's results are written. Pure. */

export const SECTIONS = ['quality', 'speed', 'scale'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * The results' file name (without extension): the date, plus the sections run unless all were,
 * so a run of one section never overwrites the day's full run ("2026-12-04-quality").
 */
export function resultsName(started: Date, sections: ReadonlySet<Section>): string {
  const date = started.toISOString().slice(0, 10);
  const run = SECTIONS.filter((x) => sections.has(x));
  return run.length === SECTIONS.length ? date : `${date}-${run.join('-')}`;
}

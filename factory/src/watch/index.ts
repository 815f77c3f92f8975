/** The public "watch the factory" app (pages + JSON + live events over the run store's reader). */
export { createWatchApp, type WatchOptions } from './app.ts';
export { loadAssets } from './assets.ts';
export type { Budgets, MergesReport, RunDigest, Scoreboard, SpendReport } from './figures.ts';
export { createRedactor, HOLDOUT_MARK, holdoutStrings } from './redaction.ts';
export type { RunRow, RunTimeline, StepView } from './timeline.ts';

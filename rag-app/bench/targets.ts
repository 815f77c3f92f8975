/** What `pnpm bench` holds the app to. Each limit has the figure last measured on PGlite beside it. */
import type { HttpRun } from './http.ts';
import type { StoreFigures } from './suite.ts';

export const TARGETS = {
  /** Whole corpus (198 videos) into a fresh store. Measured: 18.6 s (PostgreSQL 9.3 s). */
  ingestSec: 60,
  /** Unchanged corpus again: hashing and one lookup per video. Measured: 0.37 s. */
  reingestSec: 10,
  /** First `rag.search` after ingest: loads the BM25 index from the store. Measured: 2.4 s (PostgreSQL 0.7 s). */
  coldSearchMs: 10_000,
  /** `rag.search`, warm. Measured p95: 13.4 ms. */
  searchP95Ms: 100,
  /** `rag.ask`, offline extractive answerer. Measured p95: 17.7 ms. */
  askP95Ms: 250,
  /** POST /api/search, one client. Measured p95: 16.7 ms. */
  httpSearchP95Ms: 150,
  /** POST /api/ask, one client (includes the daily-cap bookkeeping). Measured p95: 27.6 ms. */
  httpAskP95Ms: 300,
  /** Whole pass, store open to HTTP. Measured: 950 MB (of which ~580 MB is PGlite's WASM heap). */
  peakRssMb: 1536,
} as const;

export interface Check {
  store: StoreFigures['store'];
  name: string;
  /** The limit as shown, e.g. "< 60 s". */
  target: string;
  /** The measured figure as shown. */
  measured: string;
  pass: boolean;
}

const httpP95 = (runs: readonly HttpRun[], route: HttpRun['route']) =>
  runs.find((r) => r.route === route && r.concurrency === 1)?.latency.p95 ?? Number.NaN;

/** Every target against one store's figures (NaN, i.e. not measured, fails). */
export function checkTargets(f: StoreFigures): Check[] {
  const below = (name: string, actual: number, limit: number, unit: string): Check => ({
    store: f.store,
    name,
    target: `< ${limit} ${unit}`,
    measured: `${actual} ${unit}`,
    pass: actual < limit,
  });
  const httpErrors = f.http.reduce((n, r) => n + r.errors, 0);
  return [
    below('full ingest', f.ingest.seconds, TARGETS.ingestSec, 's'),
    {
      store: f.store,
      name: 'ingest failures',
      target: '0',
      measured: String(f.ingest.failed),
      pass: f.ingest.failed === 0,
    },
    below('re-ingest (unchanged)', f.reingest.seconds, TARGETS.reingestSec, 's'),
    {
      store: f.store,
      name: 're-ingest skips all',
      target: `${f.ingest.added} skipped`,
      measured: `${f.reingest.skipped} skipped`,
      pass: f.reingest.skipped === f.ingest.added && f.reingest.changed === 0,
    },
    below('cold first search', f.search.coldMs, TARGETS.coldSearchMs, 'ms'),
    below('search p95', f.search.latency.p95, TARGETS.searchP95Ms, 'ms'),
    below('ask p95', f.ask.latency.p95, TARGETS.askP95Ms, 'ms'),
    below('HTTP search p95 (c1)', httpP95(f.http, '/api/search'), TARGETS.httpSearchP95Ms, 'ms'),
    below('HTTP ask p95 (c1)', httpP95(f.http, '/api/ask'), TARGETS.httpAskP95Ms, 'ms'),
    {
      store: f.store,
      name: 'HTTP errors',
      target: '0',
      measured: String(httpErrors),
      pass: httpErrors === 0,
    },
    below('peak RSS', f.peakRssMb, TARGETS.peakRssMb, 'MB'),
  ];
}

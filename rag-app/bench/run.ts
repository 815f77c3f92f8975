/**
 * `pnpm bench`: speed and memory of rag-app on the whole corpus, checked against TARGETS.
 * Exit 0 when every target passes, 1 when one fails (or the run breaks), 2 on bad arguments.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pickQueries, readQueries } from './queries.ts';
import { storeReport, targetReport } from './report.ts';
import type { StoreFigures } from './suite.ts';
import { type Check, checkTargets, TARGETS } from './targets.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
/** pnpm runs the script inside rag-app; paths the user typed are relative to where they typed them. */
const userCwd = process.env.INIT_CWD ?? process.cwd();
const CONCURRENCIES = [1, 8] as const;

const USAGE = `Usage: pnpm bench [options]

Benchmarks rag-app on a fresh in-memory PGlite store (and PostgreSQL with --postgres):
whole-corpus ingest, re-ingest, rag.search, rag.ask (offline extractive answerer) and
POST /api/search and /api/ask at concurrency ${CONCURRENCIES.join(' and ')}. Exits 1 when a target fails.

Options:
  --corpus <dir>     corpus directory (default $SHARED_DIR/corpus/cole-medin, SHARED_DIR=../shared)
  --queries <jsonl>  questions, one {"query": ...} a line (default $SHARED_DIR/evals/key-moments.dev.jsonl)
  --n <queries>      queries per measurement (default 300)
  --json <out>       also write every figure as JSON to <out>
  --postgres         also run on DATABASE_URL, in a schema of its own (dropped afterwards)
  -h, --help         show this help

Targets: ${Object.entries(TARGETS)
  .map(([k, v]) => `${k} < ${v}`)
  .join(', ')}.
Progress goes to stderr, the report to stdout. EMBEDDER, VECTOR_WEIGHT and EMBEDDINGS_* are read from
the environment; ANTHROPIC_* is not (answers are always the offline extractive ones).
`;

interface Options {
  corpus: string;
  queries: string;
  n: number;
  json: string | null;
  postgresUrl: string | null;
}

class UsageError extends Error {}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const n = Number(values.n ?? '300');
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--n must be a positive integer, got '${values.n}'`);
  const postgresUrl = values.postgres ? (env.DATABASE_URL ?? null) : null;
  if (values.postgres && !postgresUrl) throw new UsageError('--postgres needs DATABASE_URL');
  return {
    corpus: values.corpus ? path.resolve(userCwd, values.corpus) : path.join(SHARED_DIR, 'corpus/cole-medin'),
    queries: values.queries
      ? path.resolve(userCwd, values.queries)
      : path.join(SHARED_DIR, 'evals/key-moments.dev.jsonl'),
    n,
    json: values.json ? path.resolve(userCwd, values.json) : null,
    postgresUrl,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      corpus: { type: 'string' },
      queries: { type: 'string' },
      n: { type: 'string' },
      json: { type: 'string' },
      postgres: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message} (see --help)\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const queries = pickQueries(await readQueries(options.queries), options.n);

  // Per-request info logs would be timed along with the requests; the logger reads its level
  // when first imported, hence the late import.
  process.env.LOG_LEVEL ??= 'warn';
  const { benchStore, pgliteStore, postgresStore } = await import('./suite.ts');
  const stores = [pgliteStore, ...(options.postgresUrl ? [postgresStore(options.postgresUrl)] : [])];
  const plan = {
    corpusDir: options.corpus,
    queries,
    concurrencies: CONCURRENCIES,
    onPhase: (phase: string) => process.stderr.write(`bench: ${phase}\n`),
  };

  const figures: StoreFigures[] = [];
  for (const store of stores) figures.push(await benchStore(store, plan));
  const checks: Check[] = figures.flatMap(checkTargets);
  const pass = checks.every((c) => c.pass);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const out = [
    `rag-app bench: ${options.corpus}, ${queries.length} queries from ${path.basename(options.queries)}`,
    `node ${process.version}, ${cpu} x ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GB,` +
      ` EMBEDDER=${process.env.EMBEDDER || 'none'}, offline extractive answerer`,
    '',
    ...figures.flatMap((f) => [...storeReport(f), '']),
    'targets',
    ...targetReport(checks),
    '',
    pass ? 'all targets PASS' : `${checks.filter((c) => !c.pass).length} target(s) FAIL`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  if (options.json) {
    const json = {
      date: new Date().toISOString(),
      node: process.version,
      cpu,
      cpus: os.cpus().length,
      corpus: options.corpus,
      queries: options.queries,
      n: queries.length,
      targets: TARGETS,
      stores: figures,
      checks,
      pass,
    };
    await writeFile(options.json, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`bench: figures written to ${options.json}\n`);
  }
  return pass ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * `pnpm bench`: in one run, retrieval quality side by side (LangChain.js, plain BM25, ours), speed
 * and memory on the whole corpus checked against TARGETS, and retrieval at scale on PostgreSQL.
 * Exit 0 when every speed target passes, 1 when one fails (or the run breaks), 2 on bad arguments;
 * the quality goals are reported (MET / MISSED), not gated.
 */

import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkGoals, type GoalCheck, goalReport, qualityMarkdown, qualityReport } from './quality/report.ts';
import { pickQueries, readQueries } from './queries.ts';
import { storeReport, targetMarkdown, targetReport } from './report.ts';
import { scaleMarkdown, scaleReport } from './scale/report.ts';
import { resultsName, SECTIONS, type Section } from './sections.ts';
import type { StoreFigures } from './suite.ts';
import { type Check, checkTargets, TARGETS } from './targets.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
/** pnpm runs the script inside rag-app; paths the user typed are relative to where they typed them. */
const userCwd = process.env.INIT_CWD ?? process.cwd();
const CONCURRENCIES = [1, 8] as const;
const SCALES = { '100k': 100_000, '1m': 1_000_000 } as const;
const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');

const USAGE = `Usage: pnpm bench [options]

Three sections, all by default:
  quality  the dev sets under a LangChain.js pipeline (RecursiveCharacterTextSplitter 1000/200 +
           BM25Retriever, link at the chunk's first second), a plain BM25 on the same chunks, and
           ours (rag.search): hit@1/hit@5 ±30 s, hit@5 video, linkAt1, recall@10, with ratios.
           LangChain is not in the default install: the first quality run installs it
           (pnpm --dir rag-app/optional/langchain install --frozen-lockfile)
  speed    a fresh in-memory PGlite store (and PostgreSQL with --postgres): whole-corpus ingest,
           re-ingest, rag.search, rag.ask (offline extractive answerer), POST /api/search and
           /api/ask at concurrency ${CONCURRENCIES.join(' and ')}; exits 1 when a target fails
  scale    PostgreSQL at DATABASE_URL (a schema of its own, dropped after), EMBEDDER=lsa vectors:
           the corpus, then a synthetic scale-up to 100k chunks (and 1M with --scale 1m): in-memory
           and SQL BM25, exact vector scan, HNSW recall@10 by ef_search (skipped without DATABASE_URL)
Results go to bench/results/<date>.json and <date>.md (machine and versions recorded); a run of some
sections only to <date>-<sections>.{json,md} (2026-12-04-quality), so it never overwrites a full run.

Options:
  --only <list>      sections to run, comma-separated (default quality,speed,scale)
  --corpus <dir>     corpus directory (default $SHARED_DIR/corpus/cole-medin, SHARED_DIR=../shared)
  --datasets <list>  quality: JSONL eval sets, comma-separated
                     (default $SHARED_DIR/evals/key-moments.dev.jsonl,concepts.dev.jsonl)
  --queries <jsonl>  speed and scale: questions, one {"query": ...} a line (default key-moments.dev.jsonl)
  --n <queries>      speed: queries per measurement (default 300)
  --scale <size>     scale: largest size, 100k (default) or 1m (22 min on 2 idle cores, longer shared; ~6 GB of disk)
  --scale-n <q>      scale: queries per measurement (default 100)
  --json <out>       also write every figure as JSON to <out>
  --no-save          do not write the results file
  --postgres         speed: also run on DATABASE_URL, in a schema of its own (dropped afterwards)
  -h, --help         show this help

Targets: ${Object.entries(TARGETS)
  .map(([k, v]) => `${k} < ${v}`)
  .join(', ')}.
Progress goes to stderr, the report to stdout. EMBEDDER, VECTOR_WEIGHT and EMBEDDINGS_* are read from
the environment; ANTHROPIC_* is not (answers are always the offline extractive ones).
`;

interface Options {
  sections: Set<Section>;
  corpus: string;
  datasets: string[];
  queries: string;
  n: number;
  scale: keyof typeof SCALES;
  scaleN: number;
  json: string | null;
  save: boolean;
  postgresUrl: string | null;
  databaseUrl: string | null;
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
  const count = (name: string, raw: string | undefined, fallback: string) => {
    const x = Number(raw ?? fallback);
    if (!Number.isInteger(x) || x < 1)
      throw new UsageError(`--${name} must be a positive integer, got '${raw}'`);
    return x;
  };
  const n = count('n', values.n, '300');
  const scaleN = count('scale-n', values['scale-n'], '100');
  const sections = new Set<Section>();
  for (const name of (values.only ?? SECTIONS.join(',')).split(',').map((x) => x.trim())) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new UsageError(`--only takes ${SECTIONS.join(', ')}; got '${name}'`);
    sections.add(name as Section);
  }
  const scale = values.scale ?? '100k';
  if (!(scale in SCALES)) throw new UsageError(`--scale takes 100k or 1m, got '${scale}'`);
  const databaseUrl = env.DATABASE_URL || null;
  const postgresUrl = values.postgres ? databaseUrl : null;
  if (values.postgres && !postgresUrl) throw new UsageError('--postgres needs DATABASE_URL');
  if (values.scale && !databaseUrl)
    throw new UsageError('--scale needs DATABASE_URL (PostgreSQL with pgvector)');
  const datasets = values.datasets
    ? values.datasets.split(',').map((d) => path.resolve(userCwd, d.trim()))
    : ['key-moments.dev.jsonl', 'concepts.dev.jsonl'].map((d) => path.join(SHARED_DIR, 'evals', d));
  return {
    sections,
    datasets,
    scale: scale as keyof typeof SCALES,
    scaleN,
    save: !values['no-save'],
    databaseUrl,
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
      only: { type: 'string' },
      corpus: { type: 'string' },
      datasets: { type: 'string' },
      scale: { type: 'string' },
      'scale-n': { type: 'string' },
      'no-save': { type: 'boolean' },
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
  // Per-request info logs would be timed along with the requests; the logger reads its level
  // when first imported, hence the late imports.
  process.env.LOG_LEVEL ??= 'warn';
  const { describeEnvironment, environmentLine } = await import('./environment.ts');
  const { benchConfig } = await import('./http.ts');
  const say = (phase: string) => process.stderr.write(`bench: ${phase}\n`);
  // Before the environment is described, so that it records the LangChain versions the baseline runs.
  if (options.sections.has('quality')) {
    const { ensureLangchain } = await import('./quality/langchain-baseline.ts');
    ensureLangchain(say);
  }
  const started = new Date();
  const env = await describeEnvironment(options.databaseUrl);
  const allQueries = await readQueries(options.queries);
  const out: string[] = [`rag-app bench: ${options.corpus}`, environmentLine(env), ''];
  const md: string[] = [
    `# rag-app bench, ${started.toISOString().slice(0, 10)}`,
    '',
    `${environmentLine(env)}; corpus ${path.basename(options.corpus)}.`,
    '',
  ];
  const results: Record<string, unknown> = {
    date: started.toISOString(),
    environment: env,
    corpus: options.corpus,
  };

  let goals: GoalCheck[] = [];
  if (options.sections.has('quality')) {
    const { runQuality } = await import('./quality/run.ts');
    const quality = await runQuality(
      options.corpus,
      options.datasets,
      benchConfig(mkdtempSync(path.join(tmpdir(), 'rag-bench-q-'))),
      say,
    );
    goals = checkGoals(quality);
    out.push(...qualityReport(quality), '', 'quality goals (issue 10)', ...goalReport(goals), '');
    md.push('## Quality, side by side', '', ...qualityMarkdown(quality));
    md.push(
      ...goals.map(
        (g) => `- ${g.name} on ${g.dataset}: ${g.measured} (goal ${g.target}): ${g.met ? 'met' : 'missed'}`,
      ),
      '',
    );
    results.quality = { datasets: options.datasets, ...quality, goals };
  }

  let checks: Check[] = [];
  if (options.sections.has('speed')) {
    const queries = pickQueries(allQueries, options.n);
    const { benchStore, pgliteStore, postgresStore } = await import('./suite.ts');
    const stores = [pgliteStore, ...(options.postgresUrl ? [postgresStore(options.postgresUrl)] : [])];
    const plan = { corpusDir: options.corpus, queries, concurrencies: CONCURRENCIES, onPhase: say };
    const figures: StoreFigures[] = [];
    for (const store of stores) figures.push(await benchStore(store, plan));
    checks = figures.flatMap(checkTargets);
    out.push(
      `speed: ${queries.length} queries from ${path.basename(options.queries)}, EMBEDDER=${process.env.EMBEDDER || 'none'}, offline extractive answerer`,
      '',
      ...figures.flatMap((f) => [...storeReport(f), '']),
      'targets',
      ...targetReport(checks),
      '',
    );
    md.push('## Speed (whole corpus)', '', ...targetMarkdown(checks), '');
    results.speed = {
      queries: options.queries,
      n: queries.length,
      targets: TARGETS,
      stores: figures,
      checks,
    };
  }

  if (options.sections.has('scale')) {
    if (!options.databaseUrl) {
      out.push('scale: skipped (set DATABASE_URL to a PostgreSQL server with pgvector)', '');
    } else {
      const { benchScale } = await import('./scale/suite.ts');
      const sizes = [0, SCALES['100k'], ...(options.scale === '1m' ? [SCALES['1m']] : [])];
      const scale = await benchScale({
        databaseUrl: options.databaseUrl,
        config: benchConfig(mkdtempSync(path.join(tmpdir(), 'rag-bench-s-')), {
          ...process.env,
          EMBEDDER: 'lsa',
        }),
        corpusDir: options.corpus,
        queries: pickQueries(allQueries, options.scaleN),
        sizes,
        onPhase: say,
        // Each size's figures on stderr as they come: a long --scale 1m run leaves a record even if cut short.
        onSize: (f) => say(`scale figures ${JSON.stringify(f)}`),
      });
      out.push(...scaleReport(scale), '');
      md.push('## Scale (PostgreSQL)', '', ...scaleMarkdown(scale), '');
      results.scale = { queries: options.queries, n: options.scaleN, sizes: scale };
    }
  }

  // A run of an hour on a shared machine: the load at the end says how much it was shared.
  const { loadavg } = await import('node:os');
  const loadAtEnd = loadavg().map((x) => Math.round(x * 10) / 10);
  results.loadAverageAtEnd = loadAtEnd;
  md.push(`Load average at the end: ${loadAtEnd.join(' ')} (${env.cpus} CPUs).`, '');
  const pass = checks.every((c) => c.pass);
  if (options.sections.has('speed'))
    out.push(pass ? 'all targets PASS' : `${checks.filter((c) => !c.pass).length} target(s) FAIL`);
  process.stdout.write(`${out.join('\n')}\n`);
  results.pass = pass;

  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (options.json) {
    await writeFile(options.json, json);
    say(`figures written to ${options.json}`);
  }
  if (options.save) {
    await mkdir(RESULTS_DIR, { recursive: true });
    const stem = path.join(RESULTS_DIR, resultsName(started, options.sections));
    await writeFile(`${stem}.json`, json);
    await writeFile(`${stem}.md`, `${md.join('\n').trimEnd()}\n`);
    say(`results written to ${stem}.json and ${stem}.md`);
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

/**
 * The gate's app side: serves one rag-app (main's or the candidate's) for the judge, inside its own
 * sandbox (no network, the holdout hidden, nothing writable but its scratch dirs).
 *
 *   node --import tsx app-entry.ts --app <worktree> --corpus <dir> --data-dir <empty dir>
 *     --socket <dir>/app.sock --stop-file <dir>/stop [--ready-timeout-ms 120000]
 *     [--initdb-cache <dir>|off]
 *
 * 1. `<app>/rag-app` CLI `ingest --corpus <dir> --json` into the fresh DATA_DIR (exit code checked);
 * 2. `serve` with PORT=0 HOST=127.0.0.1: ready once it printed `rag-app listening on http://…` and
 *    `GET /readyz` answered 200 (store reachable, videos in it);
 * 3. a short warm-up (fixed generic questions, not measured) so a cold JIT is not measured as latency;
 * 4. opens `--socket`, a unix socket forwarded to the server (the judge runs in another sandbox with
 *    another network namespace: the socket appearing is the "ready" signal);
 * 5. serves until `--stop-file` exists, then SIGTERM to the server and waits for it to exit.
 * stdout: one JSON document (AppOutput). Everything the app prints goes to stderr.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import {
  EntryFailure,
  exitText,
  type Finished,
  forward,
  isEntryModule,
  isRunning,
  parseEntryArguments,
  runEntry,
  runTs,
  seconds,
  spawnTs,
} from './entry-support.ts';
import { type AppOutput, GATE_ENTRY_VERSION, IngestCountsSchema } from './schemas.ts';

const ArgsSchema = z.object({
  app: z.string().min(1, '--app <worktree> is required'),
  corpus: z.string().min(1, '--corpus <dir> is required'),
  dataDir: z.string().min(1, '--data-dir <dir> is required'),
  socket: z.string().min(1, '--socket <path> is required'),
  stopFile: z.string().min(1, '--stop-file <path> is required'),
  readyTimeoutMs: z.coerce.number().int().positive().default(120_000),
  /** The app's PGLITE_INITDB_CACHE (a directory, or `off`); unset: the app's default. */
  initdbCache: z.string().min(1).optional(),
});
type Args = z.infer<typeof ArgsSchema>;

function parseArguments(argv: string[]): Args {
  const options = {
    app: { type: 'string' },
    corpus: { type: 'string' },
    'data-dir': { type: 'string' },
    socket: { type: 'string' },
    'stop-file': { type: 'string' },
    'ready-timeout-ms': { type: 'string' },
    'initdb-cache': { type: 'string' },
  } as const;
  return parseEntryArguments(argv, options, ArgsSchema, (values) => ({
    app: values.app,
    corpus: values.corpus,
    dataDir: values['data-dir'],
    socket: values.socket,
    stopFile: values['stop-file'],
    readyTimeoutMs: values['ready-timeout-ms'],
    initdbCache: values['initdb-cache'],
  }));
}

const log = (line: string) => process.stderr.write(`gate app: ${line}\n`);

/**
 * The app's environment: the sandbox's allow-listed one, minus anything that would change what is
 * measured (store, corpus, sync, answerer, embedder, forge), plus exactly what a measurement needs.
 */
export function appEnv(base: NodeJS.ProcessEnv, dataDir: string, initdbCache?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const dropped =
    /^(DATABASE_URL|CORPUS_DIR|SYNC_|ANTHROPIC_|EMBEDDER|EMBEDDINGS_|VECTOR_WEIGHT|GITHUB_|FORGE_DIR|INIT_CWD|PORT|HOST|PGLITE_INITDB_CACHE)/;
  for (const [name, value] of Object.entries(base)) if (!dropped.test(name)) env[name] = value;
  return {
    ...env,
    ...(initdbCache ? { PGLITE_INITDB_CACHE: initdbCache } : {}),
    DATA_DIR: dataDir,
    FORGE_DIR: path.join(dataDir, 'forge'),
    HOST: '127.0.0.1',
    PORT: '0',
    // The judge's client is anonymous and asks every case in a burst: no sign-in, no caps in the way.
    ALLOW_ANONYMOUS: 'true',
    DAILY_MESSAGE_CAP: '1000000000',
    IP_RATE_PER_MINUTE: '1000000000',
    SYNC_INTERVAL_MINUTES: '0',
    LOG_LEVEL: 'warn',
  };
}

async function ingest(args: Args, cli: string, env: NodeJS.ProcessEnv): Promise<AppOutput['ingest']> {
  const run = await runTs(cli, ['ingest', '--corpus', args.corpus, '--json'], {
    cwd: args.app,
    env,
    capture: true,
  });
  if (run.code !== 0) throw new EntryFailure(`ingest of ${args.corpus} failed (${exitText(run)})`);
  let counts: AppOutput['ingest'];
  try {
    counts = IngestCountsSchema.parse(JSON.parse(run.stdout));
  } catch (err) {
    throw new EntryFailure(`ingest printed no summary JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (counts.added + counts.updated + counts.skipped === 0) {
    throw new EntryFailure(`ingest stored no video from ${args.corpus}`);
  }
  return counts;
}

interface Server {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<Pick<Finished, 'code' | 'signal'>>;
}

const LISTENING = /rag-app listening on (http:\/\/127\.0\.0\.1:(\d+))/;

/** Starts `serve`; resolves once it printed its URL. Its stdout is copied to stderr line by line. */
function startServer(cli: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(cli, ['serve'], { cwd, env });
    const exited = new Promise<Pick<Finished, 'code' | 'signal'>>((done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
    });
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new EntryFailure(`the server printed no "rag-app listening on" line within ${seconds(timeoutMs)}`),
      );
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new EntryFailure(`cannot start the server: ${err.message}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      process.stderr.write(`${line}\n`);
      const match = ready ? null : LISTENING.exec(line);
      if (match?.[1] && match[2]) {
        ready = true;
        clearTimeout(timer);
        resolve({ url: match[1], port: Number(match[2]), child, exited });
      }
    });
    void exited.then((f) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new EntryFailure(`the server exited before listening (${exitText(f)})`));
    });
  });
}

async function checkReady(url: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${url}/readyz`);
  } catch (err) {
    throw new EntryFailure(`cannot reach ${url}/readyz: ${(err as Error).message}`);
  }
  const body = await res.text();
  if (res.status !== 200)
    throw new EntryFailure(`${url}/readyz answered ${res.status}: ${body.slice(0, 200)}`);
}

/** Generic questions (from no eval set) that exercise search and ask before anything is measured. */
const WARMUP_QUERIES = [
  'how to build an ai agent',
  'what is retrieval augmented generation',
  'claude code workflow tips',
  'n8n automation with webhooks',
  'model context protocol server',
  'running a local llm',
  'prompt engineering techniques',
  'vector database for rag',
];
const WARMUP_ROUNDS = 3;

async function warmUp(url: string): Promise<void> {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.text();
    if (!res.ok) throw new EntryFailure(`warm-up: POST ${route} answered ${res.status}`);
  };
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    await Promise.all(
      WARMUP_QUERIES.map((q, i) =>
        i % 2 ? post('/api/ask', { question: q }) : post('/api/search', { query: q }),
      ),
    );
  }
}

/** Resolves when the stop file exists (the factory writes it once the judge is done), or the server exits. */
function untilStopped(stopFile: string, server: Server): Promise<'stopped' | 'server-exited'> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(stopFile)) done('stopped');
    }, 100);
    const done = (why: 'stopped' | 'server-exited') => {
      clearInterval(timer);
      resolve(why);
    };
    void server.exited.then(() => done('server-exited'));
  });
}

async function stopServer(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  const f = await server.exited;
  clearTimeout(timer);
  if (f.code !== 0)
    throw new EntryFailure(`the server did not shut down cleanly on SIGTERM (${exitText(f)})`);
}

export async function main(argv: string[]): Promise<AppOutput> {
  const args = parseArguments(argv);
  const cli = path.join(args.app, 'rag-app', 'src', 'cli', 'main.ts');
  if (!existsSync(cli)) throw new EntryFailure(`the app CLI is missing: ${cli}`, 2);
  if (!existsSync(args.corpus)) throw new EntryFailure(`the corpus is missing: ${args.corpus}`, 2);
  if (existsSync(args.dataDir) && readdirSync(args.dataDir).length > 0) {
    throw new EntryFailure(`--data-dir ${args.dataDir} is not empty`, 2);
  }
  await mkdir(args.dataDir, { recursive: true });
  const env = appEnv(process.env, args.dataDir, args.initdbCache);

  let t = performance.now();
  const ingested = await ingest(args, cli, env);
  const ingestMs = performance.now() - t;
  log(
    `ingested ${ingested.added} videos (${ingested.failed} failed, ${ingested.chunks} chunks) in ${seconds(ingestMs)}`,
  );

  t = performance.now();
  const server = await startServer(cli, args.app, env, args.readyTimeoutMs);
  try {
    await checkReady(server.url);
    const serverStartMs = performance.now() - t;
    log(`server ready at ${server.url} in ${seconds(serverStartMs)}`);
    t = performance.now();
    await warmUp(server.url);
    const warmupMs = performance.now() - t;

    t = performance.now();
    const bridge = await forward({ path: args.socket }, { port: server.port, host: '127.0.0.1' });
    const why = await untilStopped(args.stopFile, server).finally(() => bridge.close());
    const servedMs = performance.now() - t;
    if (why === 'server-exited') {
      throw new EntryFailure(
        `the server exited while the judge was running (${exitText(await server.exited)})`,
      );
    }
    return {
      version: GATE_ENTRY_VERSION,
      ingest: ingested,
      timings: {
        ingestMs: Math.round(ingestMs),
        serverStartMs: Math.round(serverStartMs),
        warmupMs: Math.round(warmupMs),
        servedMs: Math.round(servedMs),
      },
    };
  } finally {
    if (isRunning(server.child)) await stopServer(server);
  }
}

if (isEntryModule(import.meta.url)) runEntry('gate app', main);

import { execFile } from 'node:child_process';
import path from 'node:path';
import type { CliContext } from '../../src/cli/context.ts';
import { main } from '../../src/cli/main.ts';
import type { RagClient } from '../../src/client.ts';
import { json, startServer, type TestServer } from './http.ts';
import { REPO_ROOT } from './paths.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment every CLI run gets: no model key (no LLM judge), warnings only. */
const BASE_ENV = { ANTHROPIC_API_KEY: '', LOG_LEVEL: 'warn' };

/**
 * `evals <args>` in this process, typed in `cwd`: main() with a context whose settings come from `env`
 * alone (nothing from process.env, so no caller's DATABASE_URL or INIT_CWD) and whose stdout and
 * stderr are strings.
 */
export async function runMain(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    env: { ...BASE_ENV, ...options.env },
    cwd: options.cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const code = await main(args, ctx);
  return { code, stdout, stderr };
}

/**
 * `evals <args>` as `pnpm evals` runs it: the bin pnpm linked into the root's node_modules/.bin, as a
 * child process started in `cwd`. Seconds of tsx start-up: for the one smoke test of the entry.
 */
export function runBin(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  const bin = path.join(REPO_ROOT, 'node_modules', '.bin', 'evals');
  const { INIT_CWD: _typedElsewhere, ...env } = process.env;
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { cwd: options.cwd, env: { ...env, ...BASE_ENV, ...options.env } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** Serves a RagClient over rag-app's HTTP API (POST /api/search, POST /api/ask). */
export function serveRag(client: RagClient): Promise<TestServer> {
  return startServer(async (req, res) => {
    const body = req.body as { query?: string; question?: string; k?: number };
    if (req.method === 'POST' && req.url === '/api/search') {
      return json(res, 200, { results: await client.search(body.query ?? '', { k: body.k ?? 10 }) });
    }
    if (req.method === 'POST' && req.url === '/api/ask') {
      return json(res, 200, await client.ask(body.question ?? '', body.k === undefined ? {} : { k: body.k }));
    }
    json(res, 404, { error: 'not found' });
  });
}

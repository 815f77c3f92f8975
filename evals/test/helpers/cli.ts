import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RagClient } from '../../src/client.ts';
import { json, startServer, type TestServer } from './http.ts';
import { EVALS_DIR, REPO_ROOT } from './paths.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `evals <args>` as the user would (tsx on the CLI entry), from `cwd` as INIT_CWD. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['src/cli/main.ts', ...args], {
      cwd: EVALS_DIR,
      env: {
        ...process.env,
        INIT_CWD: options.cwd,
        ANTHROPIC_API_KEY: '',
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
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

/**
 * `evals <args>` in this process (main() with INIT_CWD = cwd), stdout and stderr captured: the same
 * code path as runCli without the cost of starting tsx, for tests that call the CLI many times.
 */
export async function runMain(args: string[], options: { cwd: string }): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.ts');
  const saved = { cwd: process.env.INIT_CWD, out: process.stdout.write, err: process.stderr.write };
  let stdout = '';
  let stderr = '';
  process.env.INIT_CWD = options.cwd;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    if (saved.cwd === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = saved.cwd;
  }
}

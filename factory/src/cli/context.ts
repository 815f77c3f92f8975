import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Forge, forgeFromEnv, GitHubForge, LocalForge, LoginSchema } from '@dark-factory/forge';
import { type Env, helpWidth, type TextSink, userCwd, writeLine } from '@dark-factory/kit/cli';
import pino from 'pino';
import { CliError } from './errors.ts';

export type { Env, TextSink } from '@dark-factory/kit/cli';

/** What every command needs, passed in so that nothing reaches for globals. */
export interface CliContext {
  /** The forge, opened on first use (so `--help` never touches the disk or the network). */
  forge(): Forge;
  /** Where the user typed the command; relative paths they give resolve against it. */
  cwd: string;
  out(text: string): void;
  /** Progress and warnings (stderr), so that `--json` leaves stdout to JSON. */
  err(text: string): void;
  /** The environment the command reads (injected, so tests run commands in-process). */
  env: Env;
  /** Reads a file the user named; `-` is stdin. */
  readText(file: string): Promise<string>;
  /** The terminal width of stdout/stderr for help text; undefined when not a terminal (commander then uses 80). */
  helpWidth?(stream: 'out' | 'err'): number | undefined;
}

/** The streams a context talks through (default: the process's own), so the CLI can run in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream;
}

/** Unset and empty mean the same, as in rag-app's config. */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * The local forge directory: FORGE_DIR, else `<DATA_DIR>/forge` with DATA_DIR defaulting to `.data`,
 * resolved against `cwd` — the same rule as rag-app's `forgeDir`, so both see the same issues.
 */
export function forgeDirFromEnv(env: Env, cwd: string): string {
  const dataDir = path.resolve(cwd, envValue(env, 'DATA_DIR') ?? '.data');
  return path.resolve(cwd, envValue(env, 'FORGE_DIR') ?? path.join(dataDir, 'forge'));
}

/**
 * Who the local forge records as the author of what this CLI files and comments (and treats as the
 * operator): FACTORY_AUTHOR, else the OS user. Undefined when neither is a usable login.
 */
export function authorFromEnv(
  env: Env,
  userName: () => string = () => os.userInfo().username,
): string | undefined {
  const named = envValue(env, 'FACTORY_AUTHOR');
  if (named !== undefined) return named;
  let user: string;
  try {
    user = userName();
  } catch {
    return undefined; // no passwd entry for this uid (some containers)
  }
  const parsed = LoginSchema.safeParse(user);
  return parsed.success ? parsed.data : undefined;
}

function cliLogger(env: Env, stderr: TextSink): pino.Logger {
  // Silent unless asked: a failure is reported once, as the one `factory: <code>: <message>` line.
  // Written synchronously through the context's stderr (no file descriptor of its own to leak).
  return pino(
    { level: envValue(env, 'LOG_LEVEL') ?? 'silent', base: { app: 'factory', module: 'cli' } },
    { write: (line: string) => stderr.write(line) },
  );
}

/** forgeFromEnv falls back to the local forge on half a GitHub configuration; say so, since logs are off. */
export function halfGitHubWarning(env: Env): string | undefined {
  const token = envValue(env, 'GITHUB_TOKEN');
  const repository = envValue(env, 'GITHUB_REPOSITORY');
  if (Boolean(token) === Boolean(repository)) return undefined;
  const [set, unset] = token ? ['GITHUB_TOKEN', 'GITHUB_REPOSITORY'] : ['GITHUB_REPOSITORY', 'GITHUB_TOKEN'];
  return `${set} is set but ${unset} is not: using the local forge`;
}

/**
 * The context of one command: the settings it reads come from `env` alone (the forge included) and all it
 * prints goes through `io` (default: the process's streams).
 */
export function createContext(
  env: Env = process.env,
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): CliContext {
  const cwd = userCwd(env);
  let forge: Forge | undefined;
  return {
    cwd,
    forge: () => {
      if (!forge) {
        const warning = halfGitHubWarning(env);
        if (warning) io.stderr.write(`factory: warning: ${warning}\n`);
        forge = forgeFromEnv(env, {
          localDir: forgeDirFromEnv(env, cwd),
          author: authorFromEnv(env),
          logger: cliLogger(env, io.stderr),
        });
      }
      return forge;
    },
    out: (text) => writeLine(io.stdout, text),
    err: (text) => writeLine(io.stderr, text),
    env,
    helpWidth: (stream) => helpWidth(stream === 'out' ? io.stdout : io.stderr),
    readText: async (file) => {
      const target = file === '-' ? 'stdin' : path.resolve(cwd, file);
      try {
        return file === '-' ? await readStream(io.stdin) : await readFile(target, 'utf8');
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new CliError('io', `cannot read ${target}: ${reason}`, { file: target }, { cause: err });
      }
    },
  };
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Which forge a command talks to, for `status` and for messages. */
export type ForgeInfo =
  | { kind: 'local'; dir: string }
  | { kind: 'github'; repository: string; apiUrl: string };

export function forgeInfo(forge: Forge): ForgeInfo {
  if (forge instanceof GitHubForge) {
    return { kind: 'github', repository: `${forge.owner}/${forge.repo}`, apiUrl: forge.baseUrl };
  }
  if (forge instanceof LocalForge) return { kind: 'local', dir: forge.dir };
  throw new Error(`unknown forge kind ${forge.kind}`);
}

/**
 * Shared by the gate's two entry scripts (app-entry.ts, judge-entry.ts): child processes that run
 * TypeScript CLIs, the byte bridge between a unix socket and loopback TCP, and the entry protocol
 * (one JSON document on stdout; on failure one `<name>: …` line on stderr and exit 1, or 2 for bad
 * arguments).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { describeZodIssues } from '@dark-factory/kit';
import type { z } from 'zod';

export { isEntryModule } from '@dark-factory/kit/cli';

export class EntryFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The tsx loader the entry runs under, for the processes it starts (a transpiler only). */
export const TSX_LOADER = import.meta.resolve('tsx');

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const children = new Set<ChildProcess>();

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

export const exitText = (f: Pick<Finished, 'code' | 'signal'>) =>
  f.signal ? `killed by ${f.signal}` : `exit ${f.code}`;

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Starts `node --import tsx <script> …`; its stderr goes to ours, its stdout is piped to the caller. */
export function spawnTs(
  script: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs a TypeScript CLI to completion; its stdout is captured (when asked) or copied to stderr. */
export function runTs(
  script: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; capture: boolean },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(script, args, opts);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      if (opts.capture) chunks.push(chunk);
      else process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

/**
 * Forwards every connection accepted on `listen` (a unix socket path, or a TCP port on 127.0.0.1)
 * to `target`, bytes both ways. The gate's app and judge live in separate sandboxes, each with its
 * own network namespace; a unix socket in a directory both see is the only way between them.
 */
export interface Forwarder {
  close(): Promise<void>;
}

export function forward(
  listen: { path: string } | { port: number; host: string },
  target: { path: string } | { port: number; host: string },
): Promise<Forwarder & { port: number | null }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    open.add(inbound).add(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    for (const socket of [inbound, outbound]) {
      socket.once('error', close);
      socket.once('close', close);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : null,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * An entry's flags: node's strict parseArgs, then `fields` maps them onto the entry's schema. A bad
 * flag or value is exit 2 with one line.
 */
export function parseEntryArguments<S extends z.ZodType>(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  fields: (values: Record<string, unknown>) => unknown,
): z.output<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values;
  } catch (err) {
    throw new EntryFailure((err as Error).message, 2);
  }
  const parsed = schema.safeParse(fields(values));
  if (!parsed.success) {
    throw new EntryFailure(describeZodIssues(parsed.error, { root: 'arguments', max: 1 }), 2);
  }
  return parsed.data;
}

/** The entry protocol: one JSON document on stdout, or one line on stderr and a non-zero exit. */
export function runEntry(name: string, main: (argv: string[]) => Promise<unknown>): void {
  // Exits explicitly: a child or socket left behind by a failure must not keep the entry alive.
  const fail = (message: string, code: number) => {
    for (const child of children) child.kill('SIGKILL');
    process.stderr.write(`${name}: ${message}\n`, () => process.exit(code));
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => fail(`stopped by ${signal}`, 1));
  main(process.argv.slice(2)).then(
    (out) => {
      process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
    },
    (err: unknown) => {
      fail(err instanceof Error ? err.message : String(err), err instanceof EntryFailure ? err.exitCode : 1);
    },
  );
}

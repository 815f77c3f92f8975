/**
 * `pnpm factory serve --worker --poll` on the embedded default (no DATABASE_URL): one process owns
 * the run store and the queue, serves the watch page, polls the forge and runs the worker. Run
 * in-process through the CLI's main() with a context of its own, and stopped the way an operator
 * stops it (SIGTERM, emitted to this process's listeners). The run is cheap: triage rejects the
 * issue. Then `worker --once` on the same directories finds nothing to do, and neither command
 * leaves a signal listener behind.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../src/scripted/server.ts';
import type { RunRow } from '../src/watch/timeline.ts';
import { git } from '../src/workspace/git.ts';
import { seedQueue, seedStore } from './support/pglite-template.ts';
import { scripted } from './support/scenario.ts';

const silent = pino({ level: 'silent' });

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CLI in this process, with its output captured line by line. */
function cli(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    ...createContext(env),
    out: (t: string) => out.push(t.replace(/\n$/, '')),
    err: (t: string) => err.push(t.replace(/\n$/, '')),
  };
  return { out, err, run: (argv: string[]) => main(argv, ctx) };
}

const signalListeners = () => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');

describe('serve --worker --poll: one process on the embedded store', () => {
  let root: string;
  let model: ScriptedModelServer;
  let forge: LocalForge;
  let env: Record<string, string | undefined>;
  let running: Promise<number> | undefined;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'factory-serve-worker-'));
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    await git(repo, ['init', '-q', '-b', 'main']);
    await writeFile(
      path.join(repo, 'mission.md'),
      [
        '---',
        'version: 1',
        'protected: [mission.md]',
        'validate:',
        '  - { name: noop, command: "true" }',
        '---',
        '# Mission',
        '',
        'A repository for the serve --worker test: every issue is rejected at triage.',
        '',
      ].join('\n'),
    );
    await git(repo, ['add', '.']);
    await git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'mission']);
    forge = new LocalForge({ dir: path.join(root, 'forge'), logger: silent });
    await forge.createIssue({ title: 'Add a weather widget', body: 'Out of scope.', author: 'alice' });
    model = await startScriptedModelServer({ scenario: { responses: [scripted.triage(1, 'reject')] } });
    // The store and the queue where serve finds them by default, copies of migrated ones (no initdb).
    await seedStore(path.join(root, 'data', 'factory', 'store'));
    await seedQueue(path.join(root, 'data', 'factory', 'queue'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: process.env.LANG,
      INIT_CWD: repo,
      FORGE_DIR: path.join(root, 'forge'),
      DATA_DIR: path.join(root, 'data'),
      ANTHROPIC_API_KEY: 'scripted-test-key',
      ANTHROPIC_BASE_URL: model.url,
      FACTORY_STREAM: '0',
      FACTORY_MODEL_RETRIES: '0',
      FACTORY_LEASE_SECONDS: '10',
      FACTORY_POLL_SECONDS: '5',
    };
  }, 120_000);

  afterAll(async () => {
    // A failed case leaves serve running: stop it, so that the store and queue are let go.
    // (Still starting, it has no listener yet: ask again until it ends.)
    for (let i = 0; running && i < 600; i++) {
      if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
      const ended = await Promise.race([
        running.then(
          () => true,
          () => true,
        ),
        new Promise<false>((r) => setTimeout(() => r(false), 500)),
      ]);
      if (ended) running = undefined;
    }
    await model?.close();
    if (root) await rm(root, { recursive: true, force: true });
  }, 330_000);

  it('serves the page, polls the forge and runs the job in the same process; SIGTERM stops all three', async () => {
    const before = signalListeners();
    const serve = cli(env);
    const exited = serve.run(['serve', '--worker', '--poll', '--port', '0']);
    running = exited;
    const url = await waitFor(
      'serve listening',
      async () => {
        const line = serve.out.find((l) => l.includes('watch the factory on'));
        if (!line && serve.err.some((l) => l.startsWith('factory: '))) {
          throw new Error(`serve failed:\n${serve.err.join('\n')}`);
        }
        return line ? /on (http:\S+)/.exec(line)?.[1] : undefined;
      },
      240_000,
    );
    expect(serve.err).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^factory serve: store .*factory\/store \(owned by this server\)$/),
        'factory serve: the in-process worker takes jobs from the embedded queue (concurrency 1)',
        'factory serve: polling the local forge every 5 s',
      ]),
    );
    expect(signalListeners()).toBeGreaterThan(before);

    // The first poll queues issue 1; the worker beside the page triages it; the page shows the run.
    const run = await waitFor(
      'the run on the watch page',
      async () => {
        const { runs } = (await (await fetch(`${url}/api/runs`)).json()) as { runs: RunRow[] };
        return runs.find((r) => r.issue === 1 && r.status === 'rejected');
      },
      90_000,
    );
    expect(run).toMatchObject({ stopReason: 'triage_rejected', live: false });
    expect((await forge.getIssue(1)).labels).toContain('factory:rejected');
    expect(model.remaining()).toEqual([]);
    expect(serve.err.some((l) => /^factory serve: poll: issues: 1 change\(s\) handled/.test(l))).toBe(true);
    // The job ends just after the run does.
    await waitFor(
      'the job done',
      () =>
        serve.err.some((l) => /^factory serve: worker: job \S+: issue #1: run \S+ rejected$/.test(l))
          ? true
          : undefined,
      30_000,
    );

    process.emit('SIGTERM', 'SIGTERM');
    expect(await exited, serve.err.join('\n')).toBe(0);
    running = undefined;
    expect(serve.err.at(-1)).toBe('factory serve: stopped');
    expect(signalListeners()).toBe(before);

    // The queue is free again (serve let it go) and holds nothing: the job was completed.
    const jobs = cli(env);
    expect(await jobs.run(['jobs', '--json']), jobs.err.join('\n')).toBe(0);
    expect(JSON.parse(jobs.out.join('\n'))).toEqual([]);
  }, 420_000);

  it('worker --once drains an empty queue, exits 0 and leaves no signal listener behind', async () => {
    const before = signalListeners();
    const worker = cli({ ...env, LOG_LEVEL: 'silent' });
    expect(await worker.run(['worker', '--once']), worker.err.join('\n')).toBe(0);
    expect(signalListeners()).toBe(before);
  }, 120_000);
});

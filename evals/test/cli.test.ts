import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from '../src/client.ts';
import { loadSuite } from '../src/dataset.ts';
import { MUTANTS } from '../src/mutants.ts';
import { DATASETS_DIR } from '../src/paths.ts';
import { runCases } from '../src/runner.ts';
import { summarySchema } from '../src/summary.ts';
import { runBin, runMain, serveRag } from './helpers/cli.ts';
import { fakeRagFromGold } from './helpers/fake-rag.ts';
import { json, startServer, type TestServer } from './helpers/http.ts';
import { DEV_SETS, EVALS_DIR } from './helpers/paths.ts';

const version = (
  JSON.parse(readFileSync(path.join(EVALS_DIR, 'package.json'), 'utf8')) as { version: string }
).version;

let dir: string;
let good: TestServer;
let broken: TestServer;
let sliceLines: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evals-cli-'));
  // A small slice of the real dev sets: 40 key moments, 10 concepts and all 40 answerability cases.
  const [km, concepts, qa] = await Promise.all(DEV_SETS.map((f) => readFile(f, 'utf8')));
  const lines = (t: string) => t.split('\n').filter(Boolean);
  sliceLines = [...lines(km!).slice(0, 40), ...lines(concepts!).slice(0, 10), ...lines(qa!)];
  await writeFile(path.join(dir, 'slice.jsonl'), `${sliceLines.join('\n')}\n`);
  const suite = await loadSuite([path.join(dir, 'slice.jsonl')], { factsDir: DATASETS_DIR });
  const fake = fakeRagFromGold(suite.cases);
  good = await serveRag(fake);
  const refuseAlways = MUTANTS.find((m) => m.name === 'refuse-always')!;
  broken = await serveRag(refuseAlways.wrap(fake, { rng: Math.random, videoIds: [] }));
});
afterAll(async () => {
  await Promise.all([good.close(), broken.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('HTTP client', () => {
  it('talks to a running rag-app and reports HTTP failures as readable errors', async () => {
    const client = httpClient(good.url);
    const hits = await client.search(JSON.parse(sliceLines[0]!).query, { k: 5 });
    expect(hits).toHaveLength(5);
    expect(good.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/search', body: { k: 5 } });
    const failing = await startServer((req, res) =>
      req.url === '/api/search' ? json(res, 500, { error: 'db down' }) : json(res, 200, { nope: true }),
    );
    const bad = httpClient(`${failing.url}/`);
    await expect(bad.search('x', { k: 3 })).rejects.toThrow(
      /\/api\/search answered 500: \{"error":"db down"\}/,
    );
    await expect(bad.ask('x', { k: 3 })).rejects.toThrow(/not an AskResult/);
    // a failing call is scored as a miss and counted, never NaN
    const results = await runCases(
      [{ id: 'x', kind: 'key-moment', query: 'x', gold: [{ videoId: 'v', t: 3 }], dataset: 'd', line: 1 }],
      { client: bad },
    );
    expect(results[0]).toMatchObject({
      error: expect.stringMatching(/500/),
      pass: false,
      scores: { hitAt5Moment: 0 },
    });
    await failing.close();
    await expect(httpClient('http://127.0.0.1:9').search('x', { k: 1 })).rejects.toThrow(/cannot reach/);
  });
});

describe('evals CLI (in-process: main(argv, ctx))', () => {
  it('run --url writes the JSON summary (public key names), Markdown and HTML; paths relative to where it was typed', async () => {
    const r = await runMain(
      [
        'run',
        '--dataset',
        'slice.jsonl',
        '--url',
        good.url,
        '--json',
        'out/run.json',
        '--md',
        'out/run.md',
        '--html',
        'out/run.html',
        '--concurrency',
        '3',
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^90 cases \(key-moment 40, concept 10, answerable 30, refusal 10\)/);
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'out/run.json'), 'utf8')));
    expect(summary.dataset).toEqual(['slice.jsonl']);
    expect(summary.cases).toBe(90);
    for (const key of [
      'hitAt1Moment',
      'hitAt5Moment',
      'hitAt5Video',
      'mrrMoment',
      'linkAt1',
      'recallAt10Video',
      'refusalAccuracy',
      'latencyP50Ms',
      'latencyP95Ms',
      'factRecall',
      'citationMomentAccuracy',
    ]) {
      expect(summary.metrics[key], key).toEqual(expect.any(Number));
    }
    expect(summary.metrics.refusalAccuracy).toBe(1);
    expect(summary.metrics.factRecall).toBe(1);
    expect(Object.keys(summary.byKind).sort()).toEqual(['answerable', 'concept', 'key-moment', 'refusal']);
    expect(summary.byKind['key-moment']).not.toHaveProperty('refusalAccuracy');
    expect(summary.byKind.refusal).not.toHaveProperty('hitAt1Moment');
    expect(summary.results).toHaveLength(90);
    expect(JSON.stringify(summary)).not.toMatch(/NaN|null/);
    expect(await readFile(path.join(dir, 'out/run.md'), 'utf8')).toMatch(
      /\| `hitAt5Moment` \| [01]\.\d{3} \|/,
    );
    expect(await readFile(path.join(dir, 'out/run.html'), 'utf8')).toMatch(
      /<svg class="chart" data-chart="metrics"/,
    );
  });

  it('gate: exit 0 on the same run, exit 1 with reasons on a broken app', async () => {
    const same = await runMain(['gate', '--baseline', 'out/run.json', '--candidate', 'out/run.json'], {
      cwd: dir,
    });
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^gate: PASS/);
    const r = await runMain(
      ['run', '--dataset', 'slice.jsonl', '--url', broken.url, '--json', 'out/broken.json'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    // Another file in this worker may have set it (files share workers): it must be left as found.
    const exitCodeBefore = process.exitCode;
    const g = await runMain(
      [
        'gate',
        '--baseline',
        'out/run.json',
        '--candidate',
        'out/broken.json',
        '--md',
        'out/gate.md',
        '--json',
        'out/gate.json',
      ],
      { cwd: dir },
    );
    expect(g.code).toBe(1);
    // The exit code is returned, never left on the process (the next command starts clean).
    expect(process.exitCode).toBe(exitCodeBefore);
    expect(g.stdout).toMatch(/^gate: FAIL/);
    expect(g.stdout).toMatch(/why it failed:\n {2}- refusalAccuracy: /);
    expect(g.stdout).toMatch(/cases pass → fail: 30/);
    const md = await readFile(path.join(dir, 'out/gate.md'), 'utf8');
    expect(md).toMatch(/^### Evals: ❌ gate failed/);
    expect(JSON.parse(await readFile(path.join(dir, 'out/gate.json'), 'utf8')).pass).toBe(false);
  });

  it('gate --mode/--reference, power and baseline --ratchet on the runs above', async () => {
    const sup = await runMain(
      [
        'gate',
        '--baseline',
        'out/run.json',
        '--candidate',
        'out/run.json',
        '--mode',
        'superiority',
        '--reference',
        'out/run.json',
        '--json',
        '-',
      ],
      { cwd: dir },
    );
    expect(sup.code).toBe(0);
    const verdict = JSON.parse(sup.stdout);
    expect(verdict.mode).toBe('superiority');
    expect(verdict.latency).toMatchObject({ gated: true, reference: 'out/run.json', status: 'pass' });
    const bad = await runMain(
      ['gate', '--baseline', 'out/run.json', '--candidate', 'out/run.json', '--mode', 'lenient'],
      {
        cwd: dir,
      },
    );
    expect(bad.code).toBe(2);

    // Power from the pair of real runs; a config asking for a margin they cannot resolve is refused.
    const power = await runMain(
      [
        'power',
        '--baseline',
        'out/run.json',
        '--run',
        'out/broken.json',
        '--write',
        'out/power.json',
        '--json',
        '-',
      ],
      { cwd: dir },
    );
    expect(power.code).toBe(1);
    const figures = JSON.parse(power.stdout);
    expect(figures.mode).toBe('non-inferiority');
    expect(
      figures.rows.find(
        (r: { dataset: string; metric: string }) => r.dataset === 'all' && r.metric === 'refusalAccuracy',
      ),
    ).toMatchObject({ n: 40, resolved: false });
    expect(figures.refused.join('\n')).toMatch(
      /refusalAccuracy: margin [\d.]+ cannot be resolved by its 40 cases .* it needs \d+ cases/,
    );
    await writeFile(
      path.join(dir, 'out/tight.json'),
      JSON.stringify({
        mode: 'non-inferiority',
        power: { record: 'power.json' },
        metrics: { refusalAccuracy: { maxDrop: 0.02 } },
      }),
    );
    const refused = await runMain(
      ['gate', '--baseline', 'out/run.json', '--candidate', 'out/run.json', '--config', 'out/tight.json'],
      {
        cwd: dir,
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^evals: the gate config asks for margins its data cannot resolve:\n {2}refusalAccuracy: margin 0\.02 .* it needs \d+ cases/,
    );

    // The ratchet keeps the old values except where the run is significantly better.
    await writeFile(path.join(dir, 'out/base.json'), await readFile(path.join(dir, 'out/broken.json')));
    const ratchet = await runMain(
      ['baseline', '--ratchet', '--from', 'out/run.json', '--out', 'out/base.json'],
      { cwd: dir },
    );
    expect(ratchet.code).toBe(0);
    expect(ratchet.stdout).toMatch(/raised +refusalAccuracy/);
    const raised = summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'out/base.json'), 'utf8')));
    const run = summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'out/run.json'), 'utf8')));
    expect(raised.metrics.refusalAccuracy).toBe(run.metrics.refusalAccuracy);
  });

  it('baseline refuses a run that found nothing (an empty store) and leaves the baseline as it is', async () => {
    const empty = await serveRag({
      search: async () => [],
      ask: async () => ({
        answer: "The videos don't cover this.",
        refused: true,
        citations: [],
        timings: { retrieveMs: 0, answerMs: 0 },
      }),
    });
    try {
      const before = await readFile(path.join(dir, 'out/run.json'), 'utf8');
      await writeFile(path.join(dir, 'out/kept.json'), before);
      for (const args of [
        ['baseline', '--dataset', 'slice.jsonl', '--url', empty.url, '--out', 'out/kept.json'],
        ['baseline', '--ratchet', '--dataset', 'slice.jsonl', '--url', empty.url, '--out', 'out/kept.json'],
      ]) {
        const r = await runMain(args, { cwd: dir });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/empty_run|found nothing for any of its 90 cases/);
        expect(await readFile(path.join(dir, 'out/kept.json'), 'utf8')).toBe(before);
      }
      // A real run is recorded.
      const ok = await runMain(
        ['baseline', '--dataset', 'slice.jsonl', '--url', good.url, '--out', 'out/fresh.json'],
        {
          cwd: dir,
        },
      );
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^90 cases/);
      expect(
        summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'out/fresh.json'), 'utf8'))).results,
      ).toHaveLength(90);
    } finally {
      await empty.close();
    }
  });

  it('power --measure refuses an empty store and leaves the power record as it is', async () => {
    // In-process on an embedded store nobody ingested into: every variant would find nothing, and a
    // record of no variance would let any margin through.
    const store = await mkdtemp(path.join(tmpdir(), 'evals-empty-store-'));
    try {
      await mkdir(path.join(dir, 'out'), { recursive: true });
      await writeFile(path.join(dir, 'out/power-kept.json'), '{"kept":true}\n');
      const r = await runMain(
        [
          'power',
          '--measure',
          '--neutral-seeds',
          '1',
          '--dataset',
          'slice.jsonl',
          '--write',
          'out/power-kept.json',
        ],
        { cwd: dir, env: { DATA_DIR: store, DATABASE_URL: '', EMBEDDER: 'none' } },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/found nothing for any of its 90 cases.*the power record was left as it is/);
      expect(await readFile(path.join(dir, 'out/power-kept.json'), 'utf8')).toBe('{"kept":true}\n');
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  }, 120_000);

  it('run: a failing case is logged on the context’s stderr (not the process’s) and scored as a miss', async () => {
    const failing = await startServer((_req, res) => json(res, 500, { error: 'db down' }));
    try {
      await writeFile(path.join(dir, 'one.jsonl'), `${sliceLines[0]}\n`);
      const r = await runMain(
        ['run', '--dataset', 'one.jsonl', '--url', failing.url, '--json', 'out/failing.json'],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^1 cases/);
      const logged = r.stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(logged).toEqual([
        expect.objectContaining({
          level: 40,
          app: 'evals',
          msg: 'case failed',
          id: JSON.parse(sliceLines[0]!).id,
          err: expect.stringMatching(/\/api\/search answered 500/),
        }),
      ]);
    } finally {
      await failing.close();
    }
  });

  it('refuses an invalid dataset with file, line and reason, and exits non-zero', async () => {
    await writeFile(
      path.join(dir, 'bad.jsonl'),
      `${sliceLines[0]}\n{"id":"x","kind":"concept","query":"q"}\n{oops\n`,
    );
    const r = await runMain(['run', '--dataset', 'bad.jsonl', '--url', good.url, '--json', 'out/bad.json'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'evals: invalid dataset: bad.jsonl:2: gold: a concept case needs at least one gold entry (and 1 more bad line(s))',
    );
    expect(r.stderr).toMatch(/ {2}bad\.jsonl:3: not valid JSON/);
    expect(existsSync(path.join(dir, 'out/bad.json'))).toBe(false);
    expect(good.requests.filter((q) => q.url === '/api/search').length).toBeGreaterThan(0);
  });

  it('usage errors and missing files are one readable line', async () => {
    const a = await runMain(['gate', '--baseline', 'out/run.json'], { cwd: dir });
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe("error: required option '--candidate <summary.json>' not specified");
    const b = await runMain(['gate', '--baseline', 'missing.json', '--candidate', 'out/run.json'], {
      cwd: dir,
    });
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe('evals: cannot read missing.json: file not found');
    const help = await runMain(['run', '--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--dataset <file\.jsonl>/);
    expect(await runMain(['--version'], { cwd: dir })).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: '',
    });
    const unknown = await runMain(
      ['gate', '--baseline', 'out/run.json', '--candidate', 'out/run.json', '--bogus'],
      { cwd: dir },
    );
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--bogus'\n" });
  });

  it('holdout: a run over a HOLDOUT directory writes aggregates only', async () => {
    await mkdir(path.join(dir, 'sealed'), { recursive: true });
    await writeFile(path.join(dir, 'sealed', 'HOLDOUT'), '');
    await writeFile(path.join(dir, 'sealed', 'set.jsonl'), `${sliceLines.join('\n')}\n`);
    const r = await runMain(
      [
        'run',
        '--dataset',
        'sealed/set.jsonl',
        '--url',
        good.url,
        '--json',
        'out/h.json',
        '--md',
        'out/h.md',
        '--html',
        'out/h.html',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const text = await readFile(path.join(dir, 'out/h.json'), 'utf8');
    const s = JSON.parse(text);
    expect(s.holdout).toBe(true);
    expect(s.results).toBeUndefined();
    expect(s.metrics.hitAt5Moment).toEqual(expect.any(Number));
    const md = await readFile(path.join(dir, 'out/h.md'), 'utf8');
    const html = await readFile(path.join(dir, 'out/h.html'), 'utf8');
    for (const line of sliceLines.slice(0, 50)) {
      const { id, query } = JSON.parse(line);
      for (const out of [text, md, html, r.stdout]) {
        expect(out.includes(query)).toBe(false);
        expect(out.includes(id)).toBe(false);
      }
    }
    const g = await runMain(['gate', '--baseline', 'out/h.json', '--candidate', 'out/h.json'], { cwd: dir });
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/holdout: sealed, aggregate figures only/);
  });
});

describe('the real entry point (child process)', () => {
  it('`pnpm evals` runs node_modules/.bin/evals: paths from where it was typed, the verdict JSON on stdout, exit 1 on a failed gate', async () => {
    // The shim pnpm made for the evals bin (a root script would echo `$ tsx …` first). One process:
    // tsx start-up costs seconds; everything else is tested in-process above.
    const r = await runBin(
      ['gate', '--baseline', 'out/run.json', '--candidate', 'out/broken.json', '--json', '-'],
      {
        cwd: dir,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const verdict = JSON.parse(r.stdout);
    expect(verdict).toMatchObject({ pass: false, mode: 'non-inferiority' });
    expect(verdict.reasons.join('\n')).toMatch(/refusalAccuracy/);
  });
});

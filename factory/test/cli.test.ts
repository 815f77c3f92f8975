import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CommentSchema, IssueSchema, LocalForge, PullRequestSchema } from '@dark-factory/forge';
import { startGitHubServer } from '@dark-factory/forge/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContext, forgeDirFromEnv, halfGitHubWarning } from '../src/cli/context.ts';
import { cell, shortTime, table } from '../src/cli/format.ts';
import { main } from '../src/cli/main.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const silent = pino({ level: 'silent' });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The caller's environment without anything that would pick a forge (CI sets GITHUB_REPOSITORY, pnpm INIT_CWD). */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'GITHUB_TOKEN',
    'GITHUB_REPOSITORY',
    'GITHUB_API_URL',
    'FORGE_DIR',
    'DATA_DIR',
    'INIT_CWD',
    'LOG_LEVEL',
    'FACTORY_AUTHOR',
  ]) {
    delete env[name];
  }
  return env;
}

/**
 * Runs the CLI in this process: `main` with a context whose settings come from `env` alone (nothing
 * from process.env, so no caller's GITHUB_*, DATABASE_URL or INIT_CWD) and whose stdout, stderr and
 * stdin are strings. Async: the fake GitHub server lives in this process too.
 */
async function cli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  // Typed where the user stands: the test's temporary directory unless it names one (so the run
  // store `status` reads is <dir>/.data/factory/store, never the repository's).
  const env = { INIT_CWD: dir, ...options.env };
  const context = createContext(env, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([options.input ?? '']),
  });
  // Another file in this worker may have set it (files share workers), and commands run
  // concurrently here: a command must leave it as it found it.
  const exitCodeBefore = process.exitCode;
  const code = await main(args, context);
  // Nothing is left behind in the process for the next command.
  expect(process.exitCode).toBe(exitCodeBefore);
  return { code, stdout, stderr };
}

/** Runs the real entry point as a child process from the repo root, as `pnpm factory` does. */
function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'factory/src/cli/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...baseEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A successful `--json` run: exit 0, nothing on stderr, stdout is exactly one JSON document. */
function jsonOf<S extends z.ZodType>(run: Run, schema: S): z.output<S> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return schema.parse(JSON.parse(run.stdout));
}

function ok(run: Run): string {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

/** A failed run: exit 1, nothing on stdout, exactly one line on stderr. */
function failure(run: Run): string {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const IssueWithComments = IssueSchema.extend({ comments: z.array(CommentSchema) });
const PullWithComments = PullRequestSchema.extend({ comments: z.array(CommentSchema) });
const Status = z.object({
  forge: z.union([
    z.object({ kind: z.literal('local'), dir: z.string() }),
    z.object({ kind: z.literal('github'), repository: z.string(), apiUrl: z.string() }),
  ]),
  openIssues: z.number(),
  openPullRequests: z.number(),
  runs: z.array(z.object({ runId: z.string(), issue: z.number(), status: z.string() }).passthrough()),
});

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'factory-cli-'));
  env = { FORGE_DIR: dir, FACTORY_AUTHOR: 'maintainer' };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('factory issues on the local forge', () => {
  it('creates, lists, shows, comments on and closes an issue', async () => {
    const created = jsonOf(
      await cli(
        [
          'issues',
          'create',
          '--title',
          'Answer cites the wrong video',
          '--body',
          'It cited A.\n\nExpected B.',
          '--label',
          'bug',
          '--label',
          'ui',
          '--json',
        ],
        { env },
      ),
      IssueSchema,
    );
    expect(created).toMatchObject({
      number: 1,
      title: 'Answer cites the wrong video',
      body: 'It cited A.\n\nExpected B.',
      state: 'open',
      labels: ['bug', 'ui'],
      url: 'forge://local/issues/1',
      path: join(dir, 'issues', '1.json'),
    });
    const second = ok(await cli(['issues', 'create', '--title', 'Search is slow'], { env }));
    expect(second).toBe('created issue #2: Search is slow\nforge://local/issues/2\n');

    // What the CLI wrote is what the forge module reads.
    const forge = new LocalForge({ dir, logger: silent });
    expect((await forge.getIssue(2)).title).toBe('Search is slow');

    const table = ok(await cli(['issues', 'list'], { env }))
      .trimEnd()
      .split('\n');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/^#\s+STATE\s+LABELS\s+UPDATED\s+TITLE$/);
    expect(table[1]).toMatch(/^#2\s+open\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+Search is slow$/);
    expect(table[2]).toMatch(
      /^#1\s+open\s+bug,ui\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+Answer cites the wrong video$/,
    );
    // Columns line up: every title starts at the same offset.
    expect(table[1]!.indexOf('Search')).toBe(table[0]!.indexOf('TITLE'));
    expect(table[2]!.indexOf('Answer')).toBe(table[0]!.indexOf('TITLE'));

    const byLabel = jsonOf(
      await cli(['issues', 'list', '--label', 'UI', '--json'], { env }),
      z.array(IssueSchema),
    );
    expect(byLabel.map((i) => i.number)).toEqual([1]);

    const comment = jsonOf(
      await cli(['issues', 'comment', '1', '--body', 'Picked up by the factory', '--json'], { env }),
      CommentSchema,
    );
    expect(comment).toMatchObject({ id: 1, body: 'Picked up by the factory' });
    expect(ok(await cli(['issues', 'comment', '#1', '--body', 'second look'], { env }))).toBe(
      'commented on issue #1\nforge://local/issues/1#comment-2\n',
    );

    const shown = jsonOf(await cli(['issues', 'show', '1', '--json'], { env }), IssueWithComments);
    expect(shown).toMatchObject({ number: 1, state: 'open', labels: ['bug', 'ui'] });
    expect(shown.comments.map((c) => c.body)).toEqual(['Picked up by the factory', 'second look']);

    const human = ok(await cli(['issues', 'show', '1'], { env }));
    expect(human).toMatch(/^#1 {2}Answer cites the wrong video\n\nstate {4}open\nlabels {3}bug, ui\n/);
    expect(human).toContain('\n  It cited A.\n\n  Expected B.\n');
    expect(human).toContain('comments (2)');
    // The local forge records FACTORY_AUTHOR (else the OS user) as the author.
    expect(human).toMatch(/\nauthor {3}maintainer\n/);
    expect(human).toMatch(/— maintainer, \d{4}-\d\d-\d\d \d\d:\d\dZ\n {2}Picked up by the factory\n/);

    expect(ok(await cli(['issues', 'close', '1', '--comment', 'Fixed by #3'], { env }))).toBe(
      'closed issue #1: Answer cites the wrong video\n',
    );
    const closed = await forge.getIssue(1);
    expect(closed.state).toBe('closed');
    expect((await forge.listComments(1)).at(-1)?.body).toBe('Fixed by #3');

    const open = jsonOf(await cli(['issues', 'list', '--json'], { env }), z.array(IssueSchema));
    expect(open.map((i) => i.number)).toEqual([2]);
    const closedList = jsonOf(
      await cli(['issues', 'list', '--state', 'closed', '--json'], { env }),
      z.array(IssueSchema),
    );
    expect(closedList.map((i) => [i.number, i.state])).toEqual([[1, 'closed']]);
    const all = jsonOf(
      await cli(['issues', 'list', '--state', 'all', '--json'], { env }),
      z.array(IssueSchema),
    );
    expect(all.map((i) => i.number)).toEqual([2, 1]);
    const status = jsonOf(await cli(['status', '--json'], { env }), Status);
    expect(status).toEqual({ forge: { kind: 'local', dir }, openIssues: 1, openPullRequests: 0, runs: [] });
  });

  it('reads the body from --body-file (relative to INIT_CWD) or stdin', async () => {
    const work = join(dir, 'work');
    await mkdir(work);
    await writeFile(join(work, 'report.md'), '## Steps\n\n1. ask\n');
    const fromFile = jsonOf(
      await cli(['issues', 'create', '--title', 'from a file', '--body-file', 'report.md', '--json'], {
        env: { ...env, INIT_CWD: work },
      }),
      IssueSchema,
    );
    expect(fromFile.body).toBe('## Steps\n\n1. ask\n');
    const fromStdin = jsonOf(
      await cli(['issues', 'create', '--title', 'from stdin', '--body-file', '-', '--json'], {
        env,
        input: 'piped text',
      }),
      IssueSchema,
    );
    expect(fromStdin.body).toBe('piped text');
  });

  it('says so when there is nothing to list', async () => {
    expect(ok(await cli(['issues', 'list'], { env }))).toBe('no open issues\n');
    expect(ok(await cli(['prs', 'list', '--state', 'all'], { env }))).toBe('no pull requests\n');
    expect(jsonOf(await cli(['issues', 'list', '--json'], { env }), z.array(IssueSchema))).toEqual([]);
  });
});

describe('factory prs and status on the local forge', () => {
  it('lists and shows pull requests with their comments and counts what is open', async () => {
    const forge = new LocalForge({ dir, logger: silent });
    await forge.createIssue({ title: 'Broken citation' });
    const pr = await forge.createPullRequest({
      title: 'Fix #1',
      body: 'Closes #1',
      head: 'factory/1',
      base: 'main',
    });
    await forge.commentOnPullRequest(pr.number, 'Gate passed');
    const merged = await forge.createPullRequest({ title: 'Older fix', head: 'factory/0', base: 'main' });
    await forge.mergePullRequest(merged.number);

    const open = jsonOf(await cli(['prs', 'list', '--json'], { env }), z.array(PullRequestSchema));
    expect(open.map((p) => [p.number, p.state, p.head])).toEqual([[2, 'open', 'factory/1']]);
    const all = jsonOf(
      await cli(['prs', 'list', '--state', 'all', '--json'], { env }),
      z.array(PullRequestSchema),
    );
    expect(all.map((p) => [p.number, p.state])).toEqual([
      [3, 'merged'],
      [2, 'open'],
    ]);
    const rows = ok(await cli(['prs', 'list', '--state', 'merged'], { env }))
      .trimEnd()
      .split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^#3\s+merged\s+factory\/0 → main\s+\S+ \S+\s+Older fix$/);

    const shown = jsonOf(await cli(['prs', 'show', '2', '--json'], { env }), PullWithComments);
    expect(shown).toMatchObject({
      number: 2,
      title: 'Fix #1',
      body: 'Closes #1',
      head: 'factory/1',
      base: 'main',
    });
    expect(shown.comments.map((c) => c.body)).toEqual(['Gate passed']);
    const human = ok(await cli(['prs', 'show', '2'], { env }));
    expect(human).toContain('branch   factory/1 → main');
    expect(human).toContain('  Closes #1');
    expect(human).toContain('  Gate passed');

    expect(ok(await cli(['status'], { env }))).toBe(
      `forge   local ${dir}\nissues  1 open\nprs     1 open\nruns    0 recent\n`,
    );
  });

  it('finds the forge where rag-app files into it: FORGE_DIR, else <DATA_DIR or .data>/forge from INIT_CWD', async () => {
    const status = (extra: NodeJS.ProcessEnv) =>
      cli(['status', '--json'], { env: { INIT_CWD: dir, ...extra } }).then((r) => jsonOf(r, Status).forge);
    const [byDefault, byDataDir, byForgeDir] = await Promise.all([
      status({}),
      status({ DATA_DIR: 'state' }),
      status({ DATA_DIR: 'state', FORGE_DIR: 'elsewhere/forge' }),
    ]);
    expect(byDefault).toEqual({ kind: 'local', dir: join(dir, '.data', 'forge') });
    expect(byDataDir).toEqual({ kind: 'local', dir: join(dir, 'state', 'forge') });
    expect(byForgeDir).toEqual({ kind: 'local', dir: join(dir, 'elsewhere', 'forge') });
    // Looking never creates the directory.
    await expect(access(join(dir, '.data'))).rejects.toThrow();

    expect(forgeDirFromEnv({ DATA_DIR: '/srv/data', FORGE_DIR: '' }, '/home/me')).toBe('/srv/data/forge');
    expect(forgeDirFromEnv({}, '/home/me')).toBe('/home/me/.data/forge');
  });

  it('warns in one line when GitHub is half configured and uses the local forge', async () => {
    const run = await cli(['status', '--json'], { env: { ...env, GITHUB_REPOSITORY: 'acme/widgets' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'factory: warning: GITHUB_REPOSITORY is set but GITHUB_TOKEN is not: using the local forge\n',
    );
    expect(Status.parse(JSON.parse(run.stdout)).forge).toEqual({ kind: 'local', dir });
    expect(halfGitHubWarning({ GITHUB_TOKEN: 't', GITHUB_REPOSITORY: ' ' })).toMatch(/^GITHUB_TOKEN is set/);
    expect(halfGitHubWarning({ GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'a/b' })).toBeUndefined();
  });
});

describe('factory --help', () => {
  it('prints usage on stdout with exit 0 for every command, without touching the forge', async () => {
    const missing = join(dir, 'not-yet');
    const commands = [
      [],
      ['issues'],
      ['issues', 'list'],
      ['issues', 'show'],
      ['issues', 'create'],
      ['issues', 'comment'],
      ['issues', 'close'],
      ['prs'],
      ['prs', 'list'],
      ['prs', 'show'],
      ['status'],
      ['run'],
      ['triage'],
      ['loop'],
      ['resume'],
      ['demo'],
    ];
    const runs = await Promise.all(
      commands.map((c) => cli([...c, '--help'], { env: { FORGE_DIR: missing } })),
    );
    runs.forEach((run, i) => {
      const out = ok(run);
      expect(out).toContain(`Usage: factory${commands[i]!.map((c) => ` ${c}`).join('')} `);
      expect(out).toContain('--help');
    });
    expect(runs[4]!.stdout).toMatch(
      /--title <title>[\s\S]*--body <body>[\s\S]*--body-file <file>[\s\S]*--label/,
    );
    expect(runs[2]!.stdout).toMatch(
      /--state <state>[\s\S]*\(choices: "open", "closed", "all",\s+default: "open"\)/,
    );
    await expect(access(missing)).rejects.toThrow();
  });
});

describe('factory errors', () => {
  it('prints one `factory: <code>: <message>` line on stderr and exits 1', async () => {
    const forge = new LocalForge({ dir, logger: silent });
    await forge.createIssue({ title: 'one' });
    await forge.createPullRequest({ title: 'a PR', head: 'factory/1', base: 'main' });

    const cases: [string[], RegExp][] = [
      [['issues', 'show', '99'], new RegExp(`^factory: not_found: no issue #99 in ${dir}$`)],
      [['issues', 'show', '2'], /^factory: not_found: no issue #2 in .* \(#2 is a pull request\)$/],
      [['issues', 'close', '42'], /^factory: not_found: no issue #42 in /],
      [['issues', 'comment', '2', '--body', 'x'], /^factory: not_found: no issue #2 in /],
      [['prs', 'show', '1'], /^factory: not_found: no pull request #1 in .* \(#1 is an issue\)$/],
      [
        ['issues', 'create', '--body', 'no title'],
        /^factory: usage: required option '--title <title>' not specified \(add --help for usage\)$/,
      ],
      [['issues', 'create', '--title', '  '], /^factory: invalid: invalid issue: .*title must not be empty/],
      [
        ['issues', 'create', '--title', 'x', '--body', 'a', '--body-file', 'b'],
        /^factory: usage: option '--body <body>' cannot be used with option '--body-file <file>'/,
      ],
      [
        ['issues', 'create', '--title', 'x', '--body-file', 'nope.md'],
        /^factory: io: cannot read .*nope\.md: ENOENT$/,
      ],
      [
        ['issues', 'show', 'abc'],
        /^factory: usage: .*'abc' is invalid for argument 'n'\. expected a positive integer/,
      ],
      [
        ['issues', 'comment', '1', '--body', ' '],
        /^factory: invalid: invalid comment: .*comment must not be empty/,
      ],
      [
        ['issues', 'list', '--state', 'merged'],
        /^factory: usage: option '--state <state>' argument 'merged' is invalid/,
      ],
      [['issues', 'reopen', '1'], /^factory: usage: unknown command 'reopen'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args, { env })));
    runs.forEach((run, i) => {
      expect(failure(run)).toMatch(cases[i]![1]);
    });
    // Nothing was filed or changed by the failed runs.
    expect((await forge.listIssues({ state: 'all' })).map((i) => [i.number, i.state])).toEqual([[1, 'open']]);
    expect(await forge.listComments(1)).toEqual([]);
  });
});

describe('factory against GitHub', () => {
  it('files, lists, shows, comments on and closes issues through the REST API', async () => {
    const gh = await startGitHubServer({
      token: 'ghp_cli',
      owner: 'acme',
      repo: 'widgets',
      login: 'factory-bot',
    });
    try {
      const ghEnv = {
        GITHUB_TOKEN: 'ghp_cli',
        GITHUB_REPOSITORY: 'acme/widgets',
        GITHUB_API_URL: gh.url,
        FORGE_DIR: dir,
      };
      const created = jsonOf(
        await cli(
          ['issues', 'create', '--title', 'Wrong video', '--body', 'details', '--label', 'bug', '--json'],
          {
            env: ghEnv,
          },
        ),
        IssueSchema,
      );
      expect(created).toMatchObject({
        number: 1,
        title: 'Wrong video',
        labels: ['bug'],
        author: 'factory-bot',
        url: `${gh.url}/acme/widgets/issues/1`,
      });
      const post = gh.state.requests.find(
        (r) => r.method === 'POST' && r.path === '/repos/acme/widgets/issues',
      );
      expect(post?.body).toEqual({ title: 'Wrong video', body: 'details', labels: ['bug'] });
      expect(post?.headers.authorization).toBe('token ghp_cli');

      expect(ok(await cli(['issues', 'comment', '1', '--body', 'on it'], { env: ghEnv }))).toMatch(
        /^commented on issue #1\n/,
      );
      const shown = jsonOf(await cli(['issues', 'show', '1', '--json'], { env: ghEnv }), IssueWithComments);
      expect(shown.comments.map((c) => [c.body, c.author])).toEqual([['on it', 'factory-bot']]);
      ok(await cli(['issues', 'close', '1', '--comment', 'done'], { env: ghEnv }));
      expect(gh.state.issues.get(1)?.state).toBe('closed');
      expect(gh.state.comments.map((c) => c.body)).toEqual(['on it', 'done']);

      const list = jsonOf(
        await cli(['issues', 'list', '--state', 'all', '--json'], { env: ghEnv }),
        z.array(IssueSchema),
      );
      expect(list.map((i) => [i.number, i.state])).toEqual([[1, 'closed']]);
      const status = jsonOf(await cli(['status', '--json'], { env: ghEnv }), Status);
      expect(status).toEqual({
        forge: { kind: 'github', repository: 'acme/widgets', apiUrl: gh.url },
        openIssues: 0,
        openPullRequests: 0,
        runs: [],
      });
      // Nothing went to the local forge.
      await expect(access(join(dir, 'issues'))).rejects.toThrow();

      const denied = await cli(['issues', 'list'], { env: { ...ghEnv, GITHUB_TOKEN: 'wrong' } });
      expect(failure(denied)).toMatch(/^factory: auth: .*401/);
    } finally {
      await gh.close();
    }
  });
});

describe('the real entry point (node --import tsx factory/src/cli/main.ts)', () => {
  it('prints help, files an issue from stdin, and exits 1 with one error line on a failure', async () => {
    // Each process loads the whole CLI through tsx (seconds of CPU): three, once, side by side.
    const [help, created, missing] = await Promise.all([
      spawnCli(['issues', 'create', '--help'], { env }),
      spawnCli(['issues', 'create', '--title', 'Filed by a process', '--body-file', '-', '--json'], {
        env,
        input: 'from stdin',
      }),
      spawnCli(['issues', 'show', '99'], { env }),
    ]);
    expect(ok(help)).toContain('Usage: factory issues create ');
    expect(help.stdout).toMatch(/--title <title>[\s\S]*--body-file <file>/);
    expect(jsonOf(created, IssueSchema)).toMatchObject({
      number: 1,
      title: 'Filed by a process',
      body: 'from stdin',
      author: 'maintainer',
    });
    expect(failure(missing)).toBe(`factory: not_found: no issue #99 in ${dir}`);

    // What the process filed is what the CLI lists.
    const listed = ok(await cli(['issues', 'list'], { env }))
      .trimEnd()
      .split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[1]).toMatch(/^#1\s+open\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+Filed by a process$/);
  });
});

describe('format', () => {
  it('lays out columns, cuts long cells and keeps rows on one line', () => {
    expect(
      table(
        [
          ['#1', 'open', 'short'],
          ['#12', 'closed', 'x'],
        ],
        ['#', 'STATE', 'TITLE'],
      ),
    ).toBe('#    STATE   TITLE\n#1   open    short\n#12  closed  x');
    expect(table([['a', '']])).toBe('a');
    expect(cell('abcdef', 4)).toBe('abc…');
    expect(cell('line one\n\n  line two')).toBe('line one line two');
    expect(shortTime('2025-03-04T05:06:07.890Z')).toBe('2025-03-04 05:06Z');
    expect(shortTime('2025-03-04T07:06:07+02:00')).toBe('2025-03-04 05:06Z');
  });
});

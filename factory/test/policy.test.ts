import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError, isFactoryError } from '../src/errors.ts';
import { findProseDrift } from '../src/policy/drift.ts';
import { HOLDOUT_ENV, resolveHoldoutDir } from '../src/policy/holdout.ts';
import { loadPolicyFromFile, loadPolicyFromRef, parsePolicy } from '../src/policy/load.ts';
import {
  checkAppendOnly,
  checkChangedPaths,
  decideWrite,
  isAppendOnly,
  isProtected,
  isWritable,
} from '../src/policy/paths.ts';
import { DEFAULT_STOP_REASONS, type Policy, PolicySchema, STOP_REASONS } from '../src/policy/schema.ts';
import type { DiffFile } from '../src/workspace/types.ts';

const git = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

const MINIMAL = `---
version: 1
protected: [mission.md, evals/**]
validate:
  - name: test
    command: pnpm test
---

# Mission

Be useful.
`;

function withFrontMatter(yaml: string, prose = '# Mission\n'): string {
  return `---\n${yaml.trim()}\n---\n${prose}`;
}

/** The policy error's lines, or a failure when parsing did not throw one. */
function problems(markdown: string, source = 'mission.md'): string[] {
  try {
    parsePolicy(markdown, source);
  } catch (err) {
    if (!isFactoryError(err, 'policy_invalid')) throw err;
    return err.message.split('\n');
  }
  throw new Error('expected parsePolicy to throw policy_invalid');
}

function policy(input: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    protected: ['mission.md', 'evals/**', '.github/**'],
    appendOnly: ['evals/datasets/regression.jsonl'],
    validate: [{ name: 'test', command: 'pnpm test' }],
    ...input,
  });
}

function file(
  path: string,
  status: DiffFile['status'] = 'modified',
  extra: Partial<DiffFile> = {},
): DiffFile {
  return { path, status, added: 1, deleted: 0, binary: false, ...extra };
}

describe('parsePolicy', () => {
  it('splits the front matter from the prose and fills in the defaults', () => {
    const { policy: p, prose } = parsePolicy(MINIMAL, 'mission.md');
    expect(prose).toBe('# Mission\n\nBe useful.\n');
    expect(p.base).toBe('main');
    expect(p.writable).toEqual(['rag-app/**']);
    expect(p.lockfiles).toContain('pnpm-lock.yaml');
    expect(p.allowDependencyChanges).toBe(false);
    expect(p.limits).toEqual({
      maxChangedLines: 500,
      maxFiles: 20,
      fixAttempts: 2,
      maxIssueBodyChars: 20_000,
      maxTurnsPerStep: 40,
    });
    expect(p.budgets.author.issuesPerDay).toBe(3);
    expect(p.validate).toEqual([{ name: 'test', command: 'pnpm test', timeoutSeconds: 600 }]);
    expect(p.merge).toEqual({ method: 'squash', dailyCap: 10, verifyAfterMerge: true });
    expect(p.sandbox.boundary).toBe('bubblewrap');
    expect(p.paused).toBe(false);
    expect(p.holdout).toBeUndefined();
    expect(p.stopReasons).toEqual(DEFAULT_STOP_REASONS);
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    const { policy: p, prose } = parsePolicy(`\uFEFF${MINIMAL.replace(/\n/g, '\r\n')}`, 'mission.md');
    expect(p.protected).toEqual(['mission.md', 'evals/**']);
    expect(prose.startsWith('# Mission')).toBe(true);
  });

  it('names the source and the field: limits.fixAttempts must be ≤ 10', () => {
    const doc = MINIMAL.replace('version: 1', 'version: 1\nlimits: { fixAttempts: 11 }');
    expect(problems(doc)).toEqual(['mission.md: limits.fixAttempts: must be ≤ 10']);
    const err = (() => {
      try {
        parsePolicy(doc, 'mission.md');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FactoryError);
    expect((err as FactoryError).context).toMatchObject({ source: 'mission.md' });
  });

  it('reports every bad field at once, each on its own line', () => {
    const doc = withFrontMatter(`
version: 2
protected: []
limits: { maxChangedLines: -5, fixAttempt: 1 }
budgets: { run: { usd: 0 } }
validate:
  - { name: Test, command: '' }
merge: { method: rebase }
sandbox: { boundary: docker }
`);
    const lines = problems(doc, 'main:mission.md');
    expect(lines).toEqual(
      expect.arrayContaining([
        'main:mission.md: version: must be 1 (the only policy version)',
        'main:mission.md: protected: give at least one glob',
        'main:mission.md: limits.maxChangedLines: must be > 0',
        'main:mission.md: limits.fixAttempt: unknown field',
        'main:mission.md: budgets.run.usd: must be > 0',
        'main:mission.md: validate[0].name: lower-case letters, digits and dashes only',
        'main:mission.md: validate[0].command: a command must not be empty',
        'main:mission.md: merge.method: only "squash" is supported',
      ]),
    );
    expect(lines.some((l) => l.startsWith('main:mission.md: sandbox.boundary: '))).toBe(true);
    expect(lines).toHaveLength(9);
  });

  it('says which required field is missing', () => {
    expect(problems(withFrontMatter('version: 1\nprotected: [mission.md]'))).toEqual([
      'mission.md: validate: required (array)',
    ]);
  });

  it('refuses a document without front matter, unclosed, empty, or not a mapping', () => {
    expect(problems('# Mission\n\nno policy here\n')[0]).toMatch(
      /^mission\.md: no front matter: the file must start with a "---" line/,
    );
    expect(problems('---\nversion: 1\n# Mission\n')).toEqual([
      'mission.md: the front matter is not closed: add a "---" line after the YAML',
    ]);
    expect(problems('---\n---\n# Mission\n')).toEqual(['mission.md: the front matter is empty']);
    expect(problems('---\n- a\n- b\n---\n')).toEqual([
      'mission.md: the front matter must be a YAML mapping (key: value lines)',
    ]);
  });

  it('reports a YAML syntax error with its line in the file', () => {
    const lines = problems('---\nversion: 1\nprotected: [mission.md\nvalidate: []\n---\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^mission\.md: line \d+, column \d+: YAML: /);
    const duplicate = problems('---\nversion: 1\nversion: 1\n---\n');
    expect(duplicate[0]).toMatch(/^mission\.md: line 3, column 1: YAML: .*unique/i);
  });

  it('requires every stop reason in the table, and only a merge may be reported as merged', () => {
    const { merged: _merged, ...withoutMerged } = DEFAULT_STOP_REASONS;
    expect(
      problems(MINIMAL.replace('version: 1', `version: 1\nstopReasons: ${JSON.stringify(withoutMerged)}`)),
    ).toEqual(['mission.md: stopReasons.merged: required (object)']);
    const lying = { ...DEFAULT_STOP_REASONS, budget_exceeded: { status: 'merged', label: 'factory:merged' } };
    expect(
      problems(MINIMAL.replace('version: 1', `version: 1\nstopReasons: ${JSON.stringify(lying)}`)),
    ).toEqual([
      'mission.md: stopReasons.budget_exceeded.status: only the reason "merged" may map to "merged"',
    ]);
  });

  it('refuses duplicate validate names and globs that leave the repository', () => {
    const doc = withFrontMatter(`
version: 1
writable: [../elsewhere/**]
protected: [/etc/**]
validate:
  - { name: test, command: pnpm test }
  - { name: test, command: pnpm lint }
`);
    expect(problems(doc)).toEqual([
      'mission.md: writable[0]: a glob is relative to the repository root (no leading "/", no "..", no backslash)',
      'mission.md: protected[0]: a glob is relative to the repository root (no leading "/", no "..", no backslash)',
      'mission.md: validate[1].name: "test" is used twice',
    ]);
  });

  it('reads a policy file from disk, and names an unreadable one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'factory-policy-file-'));
    try {
      await writeFile(join(dir, 'mission.md'), MINIMAL);
      const { policy: p } = await loadPolicyFromFile(join(dir, 'mission.md'));
      expect(p.protected).toEqual(['mission.md', 'evals/**']);
      await expect(loadPolicyFromFile(join(dir, 'missing.md'))).rejects.toMatchObject({
        code: 'policy_invalid',
        message: expect.stringContaining('missing.md: cannot read the policy file'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the repository's mission.md", () => {
  let loaded: ReturnType<typeof parsePolicy>;
  beforeAll(async () => {
    loaded = parsePolicy(await readFile(join(repoRoot, 'mission.md'), 'utf8'), 'mission.md');
  });

  it('parses, with the limits, budgets and paths the issue asks for', () => {
    const p = loaded.policy;
    expect(p.base).toBe('main');
    expect(p.writable).toEqual(['rag-app/**']);
    expect(p.appendOnly).toEqual(['evals/datasets/regression.jsonl']);
    for (const path of [
      'mission.md',
      '.github/workflows/ci.yml',
      '.ci/run',
      'scripts/setup.sh',
      'evals/gate.json',
      'evals/baselines/main.json',
      'factory/src/engine.ts',
      'forge/src/local.ts',
      'Dockerfile',
      'docker-compose.yml',
      'package.json',
      'pnpm-workspace.yaml',
      'biome.json',
      'tsconfig.base.json',
      'vitest.config.ts',
      'pnpm-lock.yaml',
      'rag-app/vitest.config.ts',
      'rag-app/package.json',
    ]) {
      expect(isProtected(p, path), path).toBe(true);
    }
    expect(p.holdout).toBeUndefined();
    expect(p.limits).toEqual({
      maxChangedLines: 500,
      maxFiles: 20,
      fixAttempts: 2,
      maxIssueBodyChars: 20_000,
      maxTurnsPerStep: 40,
    });
    expect(p.budgets.run.wallMinutes).toBe(120);
    expect(p.budgets.author.issuesPerDay).toBe(3);
    expect(p.validate.map((v) => v.name)).toEqual(['typecheck', 'lint', 'test']);
    expect(p.merge).toMatchObject({ method: 'squash', dailyCap: 10 });
    expect(p.sandbox.boundary).toBe('bubblewrap');
    expect(p.paused).toBe(false);
    // The shared dev sets, then the project's own answerability cases (judged with the base's copy).
    expect(p.gate?.datasets).toEqual([
      '../shared/evals/key-moments.dev.jsonl',
      '../shared/evals/concepts.dev.jsonl',
      '../shared/evals/answerability.dev.jsonl',
      'evals/datasets/refusal.dev.jsonl',
      'evals/datasets/answerability.fresh.jsonl',
      'evals/datasets/regression.jsonl',
    ]);
    expect(Object.keys(p.stopReasons).sort()).toEqual([...STOP_REASONS].sort());
    expect(p.stopReasons.budget_exceeded.status).toBe('blocked');
    expect(p.stopReasons.validation_exhausted.status).toBe('needs-human');
    expect(p.stopReasons.factory_error.status).toBe('failed');
  });

  it('runs vitest projects that exist', async () => {
    for (const command of loaded.policy.validate) {
      for (const [, project] of command.command.matchAll(/--project[ =](\S+)/g)) {
        const config = await readFile(join(repoRoot, project ?? '', 'vitest.config.ts'), 'utf8');
        expect(config, `${command.name}: --project ${project}`).toContain(`name: '${project}'`);
      }
    }
  });

  it('keeps its prose sections, and the prose never contradicts the front matter', () => {
    for (const section of [
      'What we build',
      'Who it is for',
      'In scope',
      'Out of scope',
      'Hard invariants',
      'Protected paths',
      'Budgets',
      'Definition of done',
    ]) {
      expect(loaded.prose).toMatch(new RegExp(`^## ${section}`, 'm'));
    }
    expect(findProseDrift(loaded.policy, loaded.prose)).toEqual([]);
    // Belt and braces for the rule the issue names: no fix count stated in the prose at all but the key.
    const fixCounts = [...loaded.prose.matchAll(/\b(\d+|one|two|three|four|five)\b[^.\n]{0,30}\bfix/gi)];
    expect(fixCounts.map((m) => m[0])).toEqual([]);
  });
});

describe('findProseDrift', () => {
  const p = policy({ limits: { fixAttempts: 2 } });

  it('finds a fix-attempt count that differs from limits.fixAttempts, in digits or words', () => {
    expect(findProseDrift(p, 'Factory, per issue: at most 3 fix-loop iterations.')).toEqual([
      expect.stringContaining('but limits.fixAttempts is 2'),
    ]);
    expect(findProseDrift(p, 'It gets three fix rounds.')).toHaveLength(1);
    expect(findProseDrift(p, 'fix attempts: 5')).toHaveLength(1);
    expect(findProseDrift(p, 'At most 2 fix rounds, then a person looks.')).toEqual([]);
    expect(findProseDrift(p, 'At most `limits.fixAttempts` fix rounds.')).toEqual([]);
  });

  it('finds other limits stated differently, converting hours', () => {
    expect(findProseDrift(p, 'at most 3 hours wall time')).toEqual([
      expect.stringContaining('budgets.run.wallMinutes is 120'),
    ]);
    expect(findProseDrift(p, 'at most 2 hours wall time')).toEqual([]);
    expect(findProseDrift(p, 'a change of at most 800 changed lines')).toHaveLength(1);
  });

  it('finds a holdout placed inside the repository, and protected paths the front matter lacks', () => {
    const prose = `## Protected paths

- \`evals/datasets/**\` holdout directories (those containing a \`HOLDOUT\` file)
- \`rag-app/src/secret.ts\`

## Budgets
`;
    expect(findProseDrift(p, prose)).toEqual([
      'the prose puts holdout data at evals/datasets/**, inside the repository; the holdout lies outside it',
      'the prose lists rag-app/src/secret.ts as protected, but no protected, appendOnly or lockfiles glob matches it',
    ]);
  });
});

describe('loadPolicyFromRef', () => {
  let repo: string;
  const doc = (fixAttempts: number) =>
    MINIMAL.replace('version: 1', `version: 1\nlimits: { fixAttempts: ${fixAttempts} }`);

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'factory-policy-ref-'));
    const run = (...args: string[]) => git('git', args, { cwd: repo });
    await run('init', '-q', '-b', 'main');
    await run('config', 'user.email', 'test@example.invalid');
    await run('config', 'user.name', 'test');
    await writeFile(join(repo, 'mission.md'), doc(1));
    await run('add', 'mission.md');
    await run('commit', '-q', '-m', 'policy');
    await run('checkout', '-q', '-b', 'factory/1-change');
    await writeFile(join(repo, 'mission.md'), doc(7));
    await run('commit', '-q', '-am', 'the branch tries to loosen its own rules');
    // And an uncommitted copy in the work tree, different again.
    await writeFile(join(repo, 'mission.md'), doc(9));
    // Two more branches made with git plumbing (the work tree stays as it is): one without a
    // mission.md, one with an invalid one.
    const commitTree = async (branch: string, entries: string) => {
      const tree = await new Promise<string>((done, fail) => {
        const child = execFile('git', ['mktree'], { cwd: repo }, (err, stdout) =>
          err ? fail(err) : done(stdout.trim()),
        );
        child.stdin?.end(entries);
      });
      const { stdout } = await run('commit-tree', tree, '-m', branch);
      await run('branch', branch, stdout.trim());
    };
    const blob = await new Promise<string>((done, fail) => {
      const child = execFile('git', ['hash-object', '-w', '--stdin'], { cwd: repo }, (err, stdout) =>
        err ? fail(err) : done(stdout.trim()),
      );
      child.stdin?.end(doc(11));
    });
    await commitTree('empty', '');
    await commitTree('broken', `100644 blob ${blob}\tmission.md\n`);
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it("reads the ref's version, never the work tree's or another branch's", async () => {
    const { policy: p, sha } = await loadPolicyFromRef(repo, 'main');
    expect(p.limits.fixAttempts).toBe(1);
    const { stdout } = await git('git', ['rev-parse', 'main'], { cwd: repo });
    expect(sha).toBe(stdout.trim());
    expect((await loadPolicyFromRef(repo, 'factory/1-change')).policy.limits.fixAttempts).toBe(7);
    expect((await loadPolicyFromFile(join(repo, 'mission.md'))).policy.limits.fixAttempts).toBe(9);
  });

  it('names the ref in its errors', async () => {
    await expect(loadPolicyFromRef(repo, 'nope')).rejects.toMatchObject({
      code: 'git_error',
      message: expect.stringContaining('nope is not a commit'),
    });
    await expect(loadPolicyFromRef(repo, '--output=/tmp/x')).rejects.toMatchObject({ code: 'usage' });
    await expect(loadPolicyFromRef(repo, 'empty')).rejects.toMatchObject({
      code: 'policy_invalid',
      message: expect.stringMatching(/^empty:mission\.md: no mission\.md at empty/),
    });
    await expect(loadPolicyFromRef(repo, 'broken')).rejects.toMatchObject({
      code: 'policy_invalid',
      message: 'broken:mission.md: limits.fixAttempts: must be ≤ 10',
    });
  });
});

describe('paths', () => {
  const p = policy();

  it('matches writable, protected (dot files included) and append-only globs', () => {
    expect(isWritable(p, 'rag-app/src/answer.ts')).toBe(true);
    expect(isWritable(p, 'rag-app/.env.example')).toBe(true);
    expect(isWritable(p, 'README.md')).toBe(false);
    expect(isProtected(p, '.github/workflows/ci.yml')).toBe(true);
    expect(isProtected(p, 'evals/gate.json')).toBe(true);
    expect(isProtected(p, 'rag-app/src/answer.ts')).toBe(false);
    expect(isAppendOnly(p, 'evals/datasets/regression.jsonl')).toBe(true);
    expect(isAppendOnly(p, 'evals/datasets/other.jsonl')).toBe(false);
  });

  it('normalises paths, so `..` cannot reach a protected file through a writable glob', () => {
    expect(isWritable(p, 'rag-app/../mission.md')).toBe(false);
    expect(isProtected(p, 'rag-app/../mission.md')).toBe(true);
    expect(isProtected(p, './mission.md')).toBe(true);
    expect(isProtected(p, '../outside.ts')).toBe(true);
    expect(isProtected(p, '/etc/passwd')).toBe(true);
    expect(decideWrite(p, 'rag-app/../../x')).toMatchObject({
      allowed: false,
      message: 'rag-app/../../x is outside the repository',
    });
    expect(decideWrite(p, 'evals/gate.json')).toEqual({
      allowed: false,
      path: 'evals/gate.json',
      rule: 'protected',
      message: 'evals/gate.json is protected',
    });
    expect(decideWrite(p, 'evals/datasets/regression.jsonl')).toEqual({
      allowed: true,
      path: 'evals/datasets/regression.jsonl',
      appendOnly: true,
    });
  });

  it('protects lockfiles unless allowDependencyChanges', () => {
    expect(isProtected(p, 'pnpm-lock.yaml')).toBe(true);
    expect(isProtected(p, 'rag-app/package-lock.json')).toBe(true);
    expect(checkChangedPaths(p, [file('pnpm-lock.yaml')])).toEqual([
      {
        path: 'pnpm-lock.yaml',
        rule: 'lockfile',
        message: 'pnpm-lock.yaml is a lockfile (dependency changes are not allowed)',
      },
    ]);
    const open = policy({ allowDependencyChanges: true });
    expect(isProtected(open, 'pnpm-lock.yaml')).toBe(false);
    expect(isWritable(open, 'pnpm-lock.yaml')).toBe(true);
    expect(checkChangedPaths(open, [file('pnpm-lock.yaml'), file('rag-app/package.json')])).toEqual([]);
    // An explicitly protected lockfile stays protected.
    const pinned = policy({ allowDependencyChanges: true, protected: ['mission.md', 'pnpm-lock.yaml'] });
    expect(checkChangedPaths(pinned, [file('pnpm-lock.yaml')])).toMatchObject([{ rule: 'protected' }]);
  });

  it('checks a rename at its old and its new path', () => {
    expect(
      checkChangedPaths(p, [file('rag-app/src/a.ts', 'renamed', { oldPath: 'rag-app/src/b.ts' })]),
    ).toEqual([]);
    expect(
      checkChangedPaths(p, [file('rag-app/gate.json', 'renamed', { oldPath: 'evals/gate.json' })]),
    ).toEqual([{ path: 'evals/gate.json', rule: 'protected', message: 'evals/gate.json is protected' }]);
    expect(checkChangedPaths(p, [file('evals/new.ts', 'renamed', { oldPath: 'rag-app/src/a.ts' })])).toEqual([
      { path: 'evals/new.ts', rule: 'protected', message: 'evals/new.ts is protected' },
    ]);
  });

  it('lists every violating path once, with its rule', () => {
    const violations = checkChangedPaths(p, [
      file('rag-app/src/ok.ts'),
      file('README.md'),
      file('mission.md', 'deleted'),
      file('mission.md'),
      file('.github/workflows/ci.yml', 'added'),
    ]);
    expect(violations).toEqual([
      {
        path: 'README.md',
        rule: 'not_writable',
        message: 'README.md is not writable (writable: rag-app/**)',
      },
      { path: 'mission.md', rule: 'protected', message: 'mission.md is protected' },
      {
        path: '.github/workflows/ci.yml',
        rule: 'protected',
        message: '.github/workflows/ci.yml is protected',
      },
    ]);
  });

  it('allows an append-only file only as modified text', () => {
    const path = 'evals/datasets/regression.jsonl';
    expect(checkChangedPaths(p, [file(path)])).toEqual([]);
    for (const [change, what] of [
      [file(path, 'added'), 'added'],
      [file(path, 'deleted'), 'deleted'],
      [file('rag-app/regression.jsonl', 'renamed', { oldPath: path }), 'renamed'],
      [file(path, 'renamed', { oldPath: 'rag-app/cases.jsonl' }), 'renamed'],
      [file(path, 'modified', { binary: true }), 'changed as a binary file'],
    ] as const) {
      expect(checkChangedPaths(p, [change])).toEqual([
        {
          path,
          rule: 'protected',
          message: `${path} is append-only: lines may be appended, but it was ${what}`,
        },
      ]);
    }
  });
});

describe('checkAppendOnly', () => {
  const before = '{"id":"a"}\n{"id":"b"}\n';

  it('accepts whole lines appended, or nothing', () => {
    expect(checkAppendOnly(before, before)).toEqual({ ok: true });
    expect(checkAppendOnly(before, `${before}{"id":"c"}\n`)).toEqual({ ok: true });
    expect(checkAppendOnly(before, `${before}{"id":"c"}\n{"id":"d"}\n`)).toEqual({ ok: true });
    expect(checkAppendOnly('', '{"id":"a"}\n')).toEqual({ ok: true });
    // A file whose last line had no newline: the addition ends that line first.
    expect(checkAppendOnly('{"id":"a"}', '{"id":"a"}\n{"id":"b"}\n')).toEqual({ ok: true });
  });

  it('refuses changed or removed lines, an extended last line, and a partial line', () => {
    expect(checkAppendOnly(before, '{"id":"a"}\n{"id":"B"}\n{"id":"c"}\n')).toEqual({
      ok: false,
      reason: 'existing content was changed at line 2',
    });
    expect(checkAppendOnly(before, '{"id":"a"}\n')).toEqual({
      ok: false,
      reason: 'content was removed (from line 2)',
    });
    expect(checkAppendOnly('{"id":"a"}', '{"id":"a"},{"id":"b"}\n')).toEqual({
      ok: false,
      reason: 'the last existing line was extended',
    });
    expect(checkAppendOnly(before, `${before}{"id":"c"}`)).toEqual({
      ok: false,
      reason: 'the last added line does not end with a newline',
    });
  });
});

describe('resolveHoldoutDir', () => {
  let root: string;
  let repo: string;
  let holdout: string;
  let other: string;
  const p = (holdoutDir?: string) => ({ holdout: holdoutDir });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'factory-holdout-'));
    repo = join(root, 'repo');
    holdout = join(root, 'holdout');
    other = join(root, 'other-holdout');
    for (const dir of [
      repo,
      holdout,
      other,
      join(repo, 'sealed'),
      join(root, 'unmarked'),
      join(root, 'dirmark'),
    ]) {
      await mkdir(dir, { recursive: true });
    }
    await writeFile(join(holdout, 'HOLDOUT'), '');
    await writeFile(join(other, 'HOLDOUT'), '');
    await writeFile(join(repo, 'sealed', 'HOLDOUT'), '');
    await writeFile(join(root, 'HOLDOUT'), '');
    await mkdir(join(root, 'dirmark', 'HOLDOUT'));
    await symlink(join(repo, 'sealed'), join(root, 'link-into-repo'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function refusal(fn: () => unknown): FactoryError {
    try {
      fn();
    } catch (err) {
      if (isFactoryError(err, 'policy_invalid')) return err;
      throw err;
    }
    throw new Error('expected a policy_invalid refusal');
  }

  it('is unset when neither the policy nor the environment names one', () => {
    expect(resolveHoldoutDir(p(), {}, repo)).toBeUndefined();
    expect(resolveHoldoutDir(p(), { [HOLDOUT_ENV]: '  ' }, repo)).toBeUndefined();
  });

  it('resolves a relative policy path against the repository', () => {
    expect(resolveHoldoutDir(p('../holdout'), {}, repo)).toBe(holdout);
    expect(resolveHoldoutDir(p(holdout), {}, repo)).toBe(holdout);
  });

  it('lets FACTORY_HOLDOUT_DIR win over the policy', () => {
    expect(resolveHoldoutDir(p('../holdout'), { [HOLDOUT_ENV]: other }, repo)).toBe(other);
    // The environment wins even over a policy value that would be refused.
    expect(resolveHoldoutDir(p('sealed'), { [HOLDOUT_ENV]: '../other-holdout' }, repo)).toBe(other);
  });

  it('refuses a missing directory, a missing marker, and a marker that is not a file', () => {
    const missing = refusal(() => resolveHoldoutDir(p('../nowhere'), {}, repo));
    expect(missing.message).toBe('holdout directory ../nowhere (policy holdout): does not exist');
    const unmarked = refusal(() => resolveHoldoutDir(p(), { [HOLDOUT_ENV]: join(root, 'unmarked') }, repo));
    expect(unmarked.message).toBe(
      `holdout directory ${join(root, 'unmarked')} (${HOLDOUT_ENV}): has no HOLDOUT file (add an empty one to mark it)`,
    );
    expect(refusal(() => resolveHoldoutDir(p('../dirmark'), {}, repo)).message).toContain(
      'has no HOLDOUT file',
    );
    expect(refusal(() => resolveHoldoutDir(p('../holdout/HOLDOUT'), {}, repo)).message).toContain(
      'is not a directory',
    );
  });

  it('refuses a directory inside the repository, also through a symlink, or one that contains it', () => {
    expect(refusal(() => resolveHoldoutDir(p('sealed'), {}, repo)).message).toMatch(
      /^holdout directory sealed \(policy holdout\): lies inside the repository .*: the agent could read it/,
    );
    expect(refusal(() => resolveHoldoutDir(p('../link-into-repo'), {}, repo)).message).toContain(
      'lies inside the repository',
    );
    expect(refusal(() => resolveHoldoutDir(p('..'), {}, repo)).message).toContain('contains the repository');
  });
});

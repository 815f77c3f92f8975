import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FactoryError, isFactoryError } from '../src/errors.ts';
import { commitAll } from '../src/workspace/commit.ts';
import { diffAgainstBase, parseNumstat } from '../src/workspace/diff.ts';
import {
  currentBranch,
  FACTORY_IDENTITY,
  git,
  hasRemote,
  isClean,
  repoTopLevel,
  revParse,
  tryRevParse,
} from '../src/workspace/git.ts';
import { installDependencies } from '../src/workspace/install.ts';
import {
  baseMoved,
  revertCommit,
  squashMergeLocal,
  updateBranch,
  withTrailers,
} from '../src/workspace/merge.ts';
import { deleteRemoteBranch, fetchBase, pushBranch } from '../src/workspace/remote.ts';
import {
  checkTestIntegrity,
  codeOnly,
  collectTestTexts,
  countAssertions,
  countSkipMarkers,
  isTestFile,
  readAtRef,
} from '../src/workspace/tests-guard.ts';
import type { DiffFile, Worktree } from '../src/workspace/types.ts';
import {
  branchName,
  deleteBranch,
  listWorktrees,
  openWorktree,
  removeWorktree,
  slugify,
} from '../src/workspace/worktree.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const run = promisify(execFile);

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix = 'ws-'): Promise<string> {
  const dir = realpathSync(await mkdtemp(join(tmpdir(), `factory-${prefix}`)));
  temps.push(dir);
  return dir;
}

async function write(dir: string, path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a file holding a template literal
const APP = ['export function greet(name: string): string {', '  return `hello ${name}`;', '}', ''].join(
  '\n',
);
const UTIL = Array.from({ length: 12 }, (_, i) => `export const value${i} = ${i};`)
  .join('\n')
  .concat('\n');
const APP_TEST = [
  "import { expect, it } from 'vitest';",
  "import { greet } from '../src/app.ts';",
  '',
  "it('greets', () => {",
  "  expect(greet('a')).toBe('hello a');",
  "  expect(greet('b')).toBe('hello b');",
  '});',
  '',
].join('\n');
const LOGO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00, 0xff, 0xfe]);

/** A small repository on `main`: a README, two sources, a test file, a binary file, and node_modules ignored. */
async function makeRepo(): Promise<{ repo: string; base: string }> {
  const repo = join(await tempDir('repo-'), 'repo');
  await mkdir(repo);
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  await write(repo, '.gitignore', 'node_modules/\n');
  await write(repo, 'README.md', '# demo\n\nA small repository.\n');
  await write(repo, 'src/app.ts', APP);
  await write(repo, 'src/util.ts', UTIL);
  await write(repo, 'test/app.test.ts', APP_TEST);
  await write(repo, 'assets/logo.bin', LOGO);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '-m', 'initial']);
  return { repo, base: await revParse(repo, 'HEAD') };
}

/** Commits a change directly on the repository's checked-out main (someone else merging). */
async function commitOnMain(repo: string, path: string, content: string, message: string): Promise<string> {
  await write(repo, path, content);
  await git(repo, ['add', '--', path]);
  await git(repo, ['commit', '--quiet', '-m', message], {
    identity: { name: 'someone', email: 'someone@example.invalid' },
  });
  return revParse(repo, 'HEAD');
}

async function openRun(repo: string, base: string, issue = 7, title = 'Greet loudly'): Promise<Worktree> {
  const dir = join(await tempDir('wt-'), 'wt');
  return openWorktree({ repo, baseSha: base, branch: branchName(issue, title), dir });
}

async function caught(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FactoryError) return err;
    throw err;
  }
  throw new Error('expected a FactoryError');
}

async function treeOf(repo: string, rev: string): Promise<string> {
  return (await git(repo, ['rev-parse', `${rev}^{tree}`])).stdout.trim();
}

async function trailer(repo: string, sha: string): Promise<string> {
  const { stdout } = await git(repo, ['log', '-1', '--format=%(trailers:key=Factory-Run,valueonly)', sha]);
  return stdout.trim();
}

describe('git runner', () => {
  it('answers repository questions and fails with a typed, contextual error', async () => {
    const { repo, base } = await makeRepo();
    expect(await repoTopLevel(join(repo, 'src'))).toBe(repo);
    expect(await currentBranch(repo)).toBe('main');
    expect(await isClean(repo)).toBe(true);
    expect(await hasRemote(repo, 'origin')).toBe(false);
    expect(await tryRevParse(repo, 'refs/heads/nope')).toBeNull();
    expect(await revParse(repo, 'main')).toBe(base);
    await write(repo, 'scratch.txt', 'x\n');
    expect(await isClean(repo)).toBe(false);
    await write(repo, 'node_modules/pkg/index.js', 'ignored\n');
    await rm(join(repo, 'scratch.txt'));
    expect(await isClean(repo)).toBe(true);

    const err = await caught(git(repo, ['rev-parse', '--verify', 'refs/heads/missing']));
    expect(err.code).toBe('git_error');
    expect(err.context).toMatchObject({
      args: ['rev-parse', '--verify', 'refs/heads/missing'],
      exitCode: 128,
    });
    expect(String(err.context.stderr)).toContain('Needed a single revision');

    const { stdout } = await git(repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>']);
    expect(stdout.trim()).toBe(
      `${FACTORY_IDENTITY.name} <${FACTORY_IDENTITY.email}>|${FACTORY_IDENTITY.name} <${FACTORY_IDENTITY.email}>`,
    );
    // The inherited environment (a git hook's, a CI job's) cannot redirect git or change the identity.
    const inherited = {
      GIT_DIR: '/nonexistent',
      GIT_INDEX_FILE: '/nonexistent/index',
      GIT_AUTHOR_NAME: 'intruder',
      GIT_CONFIG_PARAMETERS: "'user.name=intruder'",
    };
    Object.assign(process.env, inherited);
    try {
      expect(await revParse(repo, 'HEAD')).toBe(base);
      await write(repo, 'more.txt', 'more\n');
      const sha = await commitAll({ dir: repo }, 'more');
      const { stdout: who } = await git(repo, ['log', '-1', '--format=%an|%cn', sha]);
      expect(who.trim()).toBe('dark-factory|dark-factory');
    } finally {
      for (const name of Object.keys(inherited)) delete process.env[name];
    }
  });
});

describe('branch names', () => {
  it('is factory/<issue>-<slug>, the slug lowercase ascii and at most 40 characters', async () => {
    expect(branchName(12, 'Fix the retriever')).toBe('factory/12-fix-the-retriever');
    const long = branchName(7, 'Fix: the Retriever — handles ÄÖ accents in queries properly!!');
    expect(long).toBe('factory/7-fix-the-retriever-handles-ao-accents-in');
    const slug = long.slice('factory/7-'.length);
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(slugify('x'.repeat(100))).toBe('x'.repeat(40));
    expect(branchName(3, '!!! ???')).toBe('factory/3-issue');
    expect(branchName(4, '../../etc/passwd.lock')).toBe('factory/4-etc-passwd-lock');
    expect(() => branchName(0, 'x')).toThrow(FactoryError);
    expect(() => branchName(1.5, 'x')).toThrow(FactoryError);
    const { repo } = await makeRepo();
    await git(repo, ['check-ref-format', '--branch', long]);
  });
});

describe('worktrees', () => {
  it('creates a worktree of the base commit on a new branch, reuses it on resume, then the branch', async () => {
    const { repo, base } = await makeRepo();
    const dir = join(await tempDir('wt-'), 'wt');
    const branch = branchName(7, 'Greet loudly');
    const first = await openWorktree({ repo, baseSha: base, branch, dir });
    expect(first).toEqual({ dir, branch, baseSha: base, opened: 'created' });
    expect(await currentBranch(dir)).toBe(branch);
    expect(await revParse(dir, 'HEAD')).toBe(base);
    expect(await readFile(join(dir, 'src/app.ts'), 'utf8')).toBe(APP);

    // Resume: the same worktree, uncommitted work kept.
    await write(dir, 'src/app.ts', `${APP}// wip\n`);
    const again = await openWorktree({ repo, baseSha: base, branch, dir });
    expect(again.opened).toBe('worktree-reused');
    expect(await readFile(join(dir, 'src/app.ts'), 'utf8')).toContain('// wip');

    // The worktree directory is gone (a crash, a cleaned temp dir): the branch and its commits are reused.
    const committed = await commitAll(again, 'wip');
    await rm(dir, { recursive: true, force: true });
    const resumed = await openWorktree({ repo, baseSha: base, branch, dir });
    expect(resumed.opened).toBe('branch-reused');
    expect(await revParse(dir, 'HEAD')).toBe(committed);

    // Another directory for a branch that is checked out already, or a worktree on another branch: refused.
    const elsewhere = join(await tempDir('wt-'), 'wt');
    const busy = await caught(openWorktree({ repo, baseSha: base, branch, dir: elsewhere }));
    expect(busy.code).toBe('git_error');
    expect(busy.context).toMatchObject({ checkedOutAt: dir });
    const wrong = await caught(openWorktree({ repo, baseSha: base, branch: 'factory/8-other', dir }));
    expect(wrong.message).toContain(`is on ${branch}`);

    // Cleanup, tolerant of what is already gone.
    expect(await removeWorktree(repo, dir)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(await removeWorktree(repo, dir)).toBe(false);
    expect(await deleteBranch(repo, branch)).toBe(true);
    expect(await deleteBranch(repo, branch)).toBe(false);
    expect((await listWorktrees(repo)).map((entry) => entry.dir)).toEqual([repo]);
    await expect(removeWorktree(repo, repo)).rejects.toThrow(/main working tree/);
  });
});

describe('diff against the base', () => {
  it('counts new, modified, deleted, renamed and binary files, staged from the worktree', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO').concat('export const loud = true;\n'));
    await write(wt.dir, 'src/new.ts', 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n');
    await rm(join(wt.dir, 'README.md'));
    await rm(join(wt.dir, 'src/util.ts'));
    await write(wt.dir, 'src/helpers.ts', UTIL.replace('value11 = 11', 'value11 = 110'));
    await write(wt.dir, 'assets/logo.bin', Buffer.concat([LOGO, Buffer.from([0x00, 0x07])]));
    await write(wt.dir, 'assets/new.bin', Buffer.from([0x00, 0x00, 0x01]));
    await write(wt.dir, 'node_modules/dep/index.js', 'module.exports = 1;\n');

    const diff = await diffAgainstBase(wt);
    const byPath = Object.fromEntries(diff.files.map((file) => [file.path, file]));
    expect(diff.baseSha).toBe(base);
    expect(Object.keys(byPath).sort()).toEqual(
      ['README.md', 'assets/logo.bin', 'assets/new.bin', 'src/app.ts', 'src/helpers.ts', 'src/new.ts'].sort(),
    );
    expect(byPath['src/app.ts']).toEqual({
      path: 'src/app.ts',
      status: 'modified',
      added: 2,
      deleted: 1,
      binary: false,
    });
    expect(byPath['src/new.ts']).toMatchObject({ status: 'added', added: 3, deleted: 0, binary: false });
    expect(byPath['README.md']).toMatchObject({ status: 'deleted', added: 0, deleted: 3 });
    expect(byPath['src/helpers.ts']).toMatchObject({
      status: 'renamed',
      oldPath: 'src/util.ts',
      added: 1,
      deleted: 1,
    });
    expect(byPath['assets/logo.bin']).toMatchObject({
      status: 'modified',
      binary: true,
      added: 0,
      deleted: 0,
    });
    expect(byPath['assets/new.bin']).toMatchObject({ status: 'added', binary: true });
    expect(diff.changedLines).toBe(2 + 1 + 3 + 3 + 1 + 1);
    expect(diff.patch).toContain('diff --git a/src/new.ts b/src/new.ts');
    expect(diff.patch).toContain('rename from src/util.ts');
    expect(diff.patch).toMatch(/Binary files .*logo\.bin.* differ/);
    expect(diff.patch).not.toContain('node_modules');

    // Committing changes nothing about the diff against the base.
    await commitAll(wt, 'change');
    expect((await diffAgainstBase(wt)).files).toEqual(diff.files);
  });

  it('parses numstat records with renames and odd file names', () => {
    const output = ['1\t2\tplain.ts', '-\t-\tpic.png', '3\t0\t', 'old name.ts', 'new\ttab.ts', ''].join('\0');
    expect(parseNumstat(output)).toEqual([
      { path: 'plain.ts', added: 1, deleted: 2, binary: false },
      { path: 'pic.png', added: 0, deleted: 0, binary: true },
      { path: 'new\ttab.ts', oldPath: 'old name.ts', added: 3, deleted: 0, binary: false },
    ]);
  });
});

describe('test integrity', () => {
  it('recognises test files', () => {
    expect(isTestFile('rag-app/test/store.test.ts')).toBe(true);
    expect(isTestFile('src/a.spec.ts')).toBe(true);
    expect(isTestFile('a.test.ts')).toBe(true);
    expect(isTestFile('evals/test/fixtures/cases.json')).toBe(true);
    expect(isTestFile('test/helpers.ts')).toBe(true);
    expect(isTestFile('rag-app/src/test-utils.ts')).toBe(false);
    expect(isTestFile('rag-app/src/contest/a.ts')).toBe(false);
    expect(isTestFile('rag-app/src/store.ts')).toBe(false);
  });

  it('counts assertions in code, not in comments or strings', () => {
    const source = [
      "import assert from 'node:assert/strict';",
      "it('x', async () => {",
      '  expect(a).toBe(1);',
      '  expect.soft(b).toEqual(2);',
      '  await expect(p).rejects.toThrow(/expect\\(/);',
      '  expectTypeOf(c).toBeString();',
      '  assert(ok);',
      '  assert.equal(x, 1);',
      '  t.is(y, 2);',
      '  t.deepEqual(z, {});',
      '  expect.assertions(3);',
      '  // expect(commented).toBe(out);',
      '  /* expect(block).toBe(comment); assert(no) */',
      "  const s = 'expect(in a string)';",
      '  const d = "assert.ok(nope)";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal
      '  const tpl = `expect(${expect(inside).toBe(1)}) assert(no)`;',
      '  const re = /assert\\(x\\)/g;',
      '  myexpect(1); foo.expect(2); unassert(3);',
      '});',
    ].join('\n');
    expect(countAssertions(source)).toBe(9);
    expect(codeOnly("a = 'x // y'; // z\nb = 1 / 2 / 3;")).toBe("a = ''; \nb = 1 / 2 / 3;");
    expect(
      countSkipMarkers("it.skip('a', f); describe.only('b', f); it.todo('c'); xit('d'); ctx.skip();"),
    ).toBe(5);
    expect(countSkipMarkers("it('a', f); // it.skip('x')")).toBe(0);
  });

  const modified = (path: string): DiffFile => ({
    path,
    status: 'modified',
    added: 1,
    deleted: 1,
    binary: false,
  });

  it('fails a deleted test, a net loss of assertions, and a new skip; passes added assertions', () => {
    const before = new Map([
      ['test/a.test.ts', 'expect(1).toBe(1);\nexpect(2).toBe(2);\n'],
      ['test/b.test.ts', 'expect(3).toBe(3);\n'],
    ]);
    const deleted = checkTestIntegrity(before, new Map(), [
      { path: 'test/b.test.ts', status: 'deleted', added: 0, deleted: 1, binary: false },
    ]);
    expect(deleted).toMatchObject({
      ok: false,
      deletedTests: ['test/b.test.ts'],
      assertionsBefore: 1,
      assertionsAfter: 0,
    });

    const lost = checkTestIntegrity(
      before,
      new Map([['test/a.test.ts', 'expect(1).toBe(1);\n// expect(2)\n']]),
      [modified('test/a.test.ts')],
    );
    expect(lost).toMatchObject({
      ok: false,
      deletedTests: [],
      assertionsBefore: 2,
      assertionsAfter: 1,
      lostAssertions: [{ path: 'test/a.test.ts', before: 2, after: 1 }],
    });

    // A loss in one file made up by a new test file elsewhere: no net loss.
    const moved = checkTestIntegrity(
      before,
      new Map([
        ['test/a.test.ts', 'expect(1).toBe(1);\n'],
        ['test/c.test.ts', 'expect(2).toBe(2);\nexpect(5).toBe(5);\n'],
      ]),
      [
        modified('test/a.test.ts'),
        { path: 'test/c.test.ts', status: 'added', added: 2, deleted: 0, binary: false },
      ],
    );
    expect(moved).toMatchObject({ ok: true, assertionsBefore: 2, assertionsAfter: 3 });

    const skipped = checkTestIntegrity(
      before,
      new Map([['test/a.test.ts', "it.skip('x', () => { expect(1).toBe(1);\nexpect(2).toBe(2); });\n"]]),
      [modified('test/a.test.ts')],
    );
    expect(skipped).toMatchObject({ ok: false, skipMarkersBefore: 0, skipMarkersAfter: 1 });

    // Renamed out of the test patterns counts as deleted; source files are not counted at all.
    const renamedOut = checkTestIntegrity(before, new Map(), [
      { path: 'src/b.ts', oldPath: 'test/b.test.ts', status: 'renamed', added: 0, deleted: 0, binary: false },
      modified('src/app.ts'),
    ]);
    expect(renamedOut).toMatchObject({ ok: false, deletedTests: ['test/b.test.ts'] });

    expect(() => checkTestIntegrity(new Map(), new Map(), [modified('test/a.test.ts')])).toThrow(
      /no before text/,
    );
  });

  it('reads the before text at the base and the after text from the index', async () => {
    const { repo, base } = await makeRepo();
    expect(await readAtRef(repo, base, 'test/app.test.ts')).toBe(APP_TEST);
    expect(await readAtRef(repo, base, 'test/none.test.ts')).toBeNull();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'test/app.test.ts', APP_TEST.replace("  expect(greet('b')).toBe('hello b');\n", ''));
    const diff = await diffAgainstBase(wt);
    const { before, after } = await collectTestTexts(wt, diff.files);
    const verdict = checkTestIntegrity(before, after, diff.files);
    expect(verdict).toMatchObject({ ok: false, assertionsBefore: 2, assertionsAfter: 1 });
  });
});

describe('commit', () => {
  it('commits everything once and returns HEAD when there is nothing left to commit', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    expect(await commitAll(wt, 'nothing')).toBe(base);
    await write(wt.dir, 'src/new.ts', 'export const n = 1;\n');
    const message = 'factory: #7 implement\n\n#not a comment\n\nFactory-Run: run-1';
    const sha = await commitAll(wt, message);
    expect(sha).not.toBe(base);
    expect(await commitAll(wt, message)).toBe(sha);
    expect(await isClean(wt.dir)).toBe(true);
    const { stdout } = await git(wt.dir, ['log', '-1', '--format=%B', sha]);
    expect(stdout.trim()).toBe(message);
    expect(await trailer(wt.dir, sha)).toBe('run-1');
    expect(await revParse(repo, `refs/heads/${wt.branch}`)).toBe(sha);
  });
});

describe('squash merge', () => {
  async function branchWithChange(): Promise<{ repo: string; base: string; wt: Worktree; tip: string }> {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO'));
    await write(wt.dir, 'src/new.ts', 'export const n = 1;\n');
    await commitAll(wt, 'first');
    await write(wt.dir, 'src/new.ts', 'export const n = 2;\n');
    const tip = await commitAll(wt, 'second');
    return { repo, base, wt, tip };
  }

  it('commits onto the checked-out, clean base in place: one commit, the trailer, the files updated', async () => {
    const { repo, base, wt, tip } = await branchWithChange();
    const message = 'Greet loudly (#7)\n\nFixes #7\n\nFactory-Run: run-abc';
    const sha = await squashMergeLocal({ repo, base: 'main', branch: wt.branch, message });
    expect(await revParse(repo, 'main')).toBe(sha);
    expect(await revParse(repo, 'HEAD')).toBe(sha);
    expect((await git(repo, ['rev-list', '--parents', '-n', '1', sha])).stdout.trim()).toBe(`${sha} ${base}`);
    expect(await treeOf(repo, sha)).toBe(await treeOf(repo, tip));
    expect(await readFile(join(repo, 'src/app.ts'), 'utf8')).toContain('HELLO');
    expect(await readFile(join(repo, 'src/new.ts'), 'utf8')).toBe('export const n = 2;\n');
    expect(await isClean(repo)).toBe(true);
    expect(await trailer(repo, sha)).toBe('run-abc');
    const { stdout } = await git(repo, ['log', '-1', '--format=%s|%an|%cn', sha]);
    expect(stdout.trim()).toBe('Greet loudly (#7)|dark-factory|dark-factory');
    const squashMsg = (await git(repo, ['rev-parse', '--git-path', 'SQUASH_MSG'])).stdout.trim();
    expect(existsSync(resolve(repo, squashMsg))).toBe(false);

    // Merging it again: nothing left to squash.
    const empty = await caught(squashMergeLocal({ repo, base: 'main', branch: wt.branch, message }));
    expect(empty.context).toMatchObject({ empty: true });
    expect(await revParse(repo, 'main')).toBe(sha);
  });

  it('moves a base that is checked out nowhere with a compare-and-swap, the checkout untouched', async () => {
    const { repo, base, wt, tip } = await branchWithChange();
    await git(repo, ['checkout', '--quiet', '--detach']);
    const sha = await squashMergeLocal({
      repo,
      base: 'main',
      branch: wt.branch,
      message: 'm',
      runId: 'run-1',
    });
    expect(await revParse(repo, 'refs/heads/main')).toBe(sha);
    expect(await revParse(repo, 'HEAD')).toBe(base);
    expect(await readFile(join(repo, 'src/app.ts'), 'utf8')).toBe(APP);
    expect(await treeOf(repo, sha)).toBe(await treeOf(repo, tip));
    expect(await trailer(repo, sha)).toBe('run-1');
    expect((await git(repo, ['log', '--format=%s', 'main'])).stdout.trim().split('\n')).toEqual([
      'm',
      'initial',
    ]);
  });

  it('squashes onto a base that moved (not checked out) through a temporary worktree', async () => {
    const { repo, wt } = await branchWithChange();
    const moved = await commitOnMain(repo, 'README.md', '# demo\n\nMoved on.\n', 'docs');
    await git(repo, ['checkout', '--quiet', '--detach']);
    const sha = await squashMergeLocal({
      repo,
      base: 'main',
      branch: wt.branch,
      message: 'm',
      runId: 'run-2',
    });
    expect((await git(repo, ['rev-list', '--parents', '-n', '1', sha])).stdout.trim()).toBe(
      `${sha} ${moved}`,
    );
    expect(await readAtRef(repo, sha, 'README.md')).toContain('Moved on.');
    expect(await readAtRef(repo, sha, 'src/app.ts')).toContain('HELLO');
    expect((await listWorktrees(repo)).map((entry) => entry.dir)).toEqual([repo, wt.dir]);
  });

  it('refuses a dirty checked-out base, a message without the trailer, and a conflicting branch', async () => {
    const { repo, base, wt } = await branchWithChange();
    await write(repo, 'README.md', 'local edit\n');
    const dirty = await caught(
      squashMergeLocal({ repo, base: 'main', branch: wt.branch, message: 'm', runId: 'r' }),
    );
    expect(dirty.code).toBe('git_error');
    expect(dirty.message).toContain(repo);
    expect(dirty.context).toMatchObject({ checkedOutAt: repo, dirty: ['README.md'] });
    expect(await revParse(repo, 'main')).toBe(base);
    await git(repo, ['checkout', '--quiet', '--', 'README.md']);

    const untagged = await caught(
      squashMergeLocal({ repo, base: 'main', branch: wt.branch, message: 'no trailer' }),
    );
    expect(untagged.code).toBe('usage');

    const moved = await commitOnMain(repo, 'src/app.ts', APP.replace('hello', 'hi'), 'conflicting');
    const conflict = await caught(
      squashMergeLocal({ repo, base: 'main', branch: wt.branch, message: 'm', runId: 'r' }),
    );
    expect(conflict.context).toMatchObject({ conflict: true, files: ['src/app.ts'] });
    expect(await revParse(repo, 'main')).toBe(moved);
    expect(await isClean(repo)).toBe(true);
    const squashMsg = (await git(repo, ['rev-parse', '--git-path', 'SQUASH_MSG'])).stdout.trim();
    expect(existsSync(resolve(repo, squashMsg))).toBe(false);
  });

  it('adds trailers to the trailer block or a new paragraph, once', () => {
    expect(withTrailers('Title', { 'Factory-Run': 'r1' })).toBe('Title\n\nFactory-Run: r1\n');
    expect(withTrailers('Title\n\nFixes #7\n\nSigned-off-by: a <b>', { 'Factory-Run': 'r1' })).toBe(
      'Title\n\nFixes #7\n\nSigned-off-by: a <b>\nFactory-Run: r1\n',
    );
    expect(withTrailers('Title\n\nFactory-Run: r1\n', { 'Factory-Run': 'r1' })).toBe(
      'Title\n\nFactory-Run: r1\n',
    );
    expect(() => withTrailers('Title', { 'Factory-Run': 'a\nb' })).toThrow(FactoryError);
  });
});

describe('base moved', () => {
  it('brings the branch up to date with a moved base, then squashes only the branch change', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO'));
    await commitAll(wt, 'change');
    expect(await baseMoved(repo, 'main', base)).toBe(false);
    expect(await updateBranch(wt, 'main')).toMatchObject({ upToDate: true, baseSha: base });

    const moved = await commitOnMain(repo, 'README.md', '# demo\n\nMoved on.\n', 'docs');
    expect(await baseMoved(repo, 'main', base)).toBe(true);
    const updated = await updateBranch(wt, 'main');
    expect(updated).toMatchObject({ upToDate: false, baseSha: moved });
    expect(await readFile(join(wt.dir, 'README.md'), 'utf8')).toContain('Moved on.');
    const diff = await diffAgainstBase({ ...wt, baseSha: updated.baseSha });
    expect(diff.files.map((file) => file.path)).toEqual(['src/app.ts']);

    const sha = await squashMergeLocal({ repo, base: 'main', branch: wt.branch, message: 'x', runId: 'r' });
    expect((await git(repo, ['rev-list', '--parents', '-n', '1', sha])).stdout.trim()).toBe(
      `${sha} ${moved}`,
    );
    expect((await git(repo, ['diff', '--name-only', moved, sha])).stdout.trim()).toBe('src/app.ts');
  });

  it('aborts a conflicting update and names the files', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO'));
    const head = await commitAll(wt, 'change');
    await commitOnMain(repo, 'src/app.ts', APP.replace('hello', 'hi'), 'conflicting');
    const err = await caught(updateBranch(wt, 'main'));
    expect(err.code).toBe('git_error');
    expect(err.context).toMatchObject({ conflict: true, files: ['src/app.ts'] });
    expect(await revParse(wt.dir, 'HEAD')).toBe(head);
    expect(await isClean(wt.dir)).toBe(true);
    expect(await tryRevParse(wt.dir, 'MERGE_HEAD')).toBeNull();

    await write(wt.dir, 'src/app.ts', 'uncommitted\n');
    const dirty = await caught(updateBranch(wt, 'main'));
    expect(dirty.message).toContain('uncommitted changes');
  });
});

describe('revert', () => {
  it('reverts the factory merge on the checked-out base and on a base checked out nowhere', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO'));
    await commitAll(wt, 'change');
    const merged = await squashMergeLocal({
      repo,
      base: 'main',
      branch: wt.branch,
      message: 'Loud',
      runId: 'r1',
    });

    const reverted = await revertCommit({ repo, base: 'main', sha: merged, runId: 'r1' });
    expect(await revParse(repo, 'HEAD')).toBe(reverted);
    expect(await readFile(join(repo, 'src/app.ts'), 'utf8')).toBe(APP);
    const { stdout } = await git(repo, ['log', '-1', '--format=%B', reverted]);
    expect(stdout).toContain('Revert "Loud"');
    expect(stdout).toContain(`This reverts commit ${merged}.`);
    expect(await trailer(repo, reverted)).toBe('r1');
    expect(await isClean(repo)).toBe(true);

    await git(repo, ['checkout', '--quiet', '--detach']);
    const again = await revertCommit({ repo, base: 'main', sha: reverted, message: 'Reapply' });
    expect(await revParse(repo, 'refs/heads/main')).toBe(again);
    expect(await readAtRef(repo, again, 'src/app.ts')).toContain('HELLO');
    expect(await revParse(repo, 'HEAD')).toBe(reverted);

    const empty = await caught(revertCommit({ repo, base: 'main', sha: base }));
    expect(empty.code).toBe('git_error');
  });
});

describe('remote', () => {
  it('pushes the branch to a bare origin and fetches a moved base', async () => {
    const root = await tempDir('remote-');
    const { repo, base } = await makeRepo();
    const origin = join(root, 'origin.git');
    await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
    await git(repo, ['remote', 'add', 'origin', origin]);
    await git(repo, ['push', '--quiet', 'origin', 'main']);
    expect(await hasRemote(repo)).toBe(true);

    const wt = await openRun(repo, base);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'HELLO'));
    const first = await commitAll(wt, 'change');
    expect(await pushBranch(repo, wt.branch)).toBe(first);
    expect(await revParse(origin, `refs/heads/${wt.branch}`)).toBe(first);

    // A recreated branch has diverged from the pushed one: only a forced push replaces it.
    await git(wt.dir, ['reset', '--quiet', '--hard', base]);
    await write(wt.dir, 'src/app.ts', APP.replace('hello', 'Hello'));
    const second = await commitAll(wt, 'redo');
    const rejected = await caught(pushBranch(repo, wt.branch));
    expect(rejected.code).toBe('git_error');
    expect(await revParse(origin, `refs/heads/${wt.branch}`)).toBe(first);
    expect(await pushBranch(repo, wt.branch, { force: true })).toBe(second);
    expect(await revParse(origin, `refs/heads/${wt.branch}`)).toBe(second);

    // Someone else merges into origin's main.
    const other = join(root, 'other');
    await git(root, ['clone', '--quiet', origin, other]);
    const moved = await commitOnMain(other, 'README.md', '# demo\n\nUpstream.\n', 'upstream');
    await git(other, ['push', '--quiet', 'origin', 'main']);
    expect(await fetchBase(repo, 'main')).toEqual({ ref: 'refs/remotes/origin/main', sha: moved });
    expect(await revParse(repo, 'refs/heads/main')).toBe(base);
    const updated = await updateBranch(wt, 'refs/remotes/origin/main');
    expect(updated).toMatchObject({ baseSha: moved, upToDate: false });

    expect(await deleteRemoteBranch(repo, wt.branch)).toBe(true);
    expect(await deleteRemoteBranch(repo, wt.branch)).toBe(false);
    expect(await tryRevParse(origin, `refs/heads/${wt.branch}`)).toBeNull();

    // A token travels in the environment, never in argv (which errors record).
    const token = 'ghs_secretvalue123';
    const err = await caught(pushBranch(repo, wt.branch, { remote: 'nowhere', token }));
    expect(JSON.stringify(err.context)).not.toContain(token);
    expect(isFactoryError(err, 'git_error')).toBe(true);
  });
});

describe('dependencies', () => {
  it('skips a worktree without a lockfile', async () => {
    const { repo, base } = await makeRepo();
    const wt = await openRun(repo, base);
    expect(await installDependencies(wt.dir, { sourceRepo: repo })).toMatchObject({
      status: 'skipped',
      lockfileMatches: false,
    });
  });

  it('installs a worktree of this repository offline from the store, workspace links inside the worktree', async () => {
    const root = await tempDir('install-');
    const clone = join(root, 'clone');
    await git(root, ['clone', '--quiet', '--local', repoRoot, clone]);
    const base = await revParse(clone, 'HEAD');
    const wt = await openWorktree({
      repo: clone,
      baseSha: base,
      branch: 'factory/1-install',
      dir: join(root, 'wt'),
    });

    const result = await installDependencies(wt.dir, { sourceRepo: clone });
    expect(result).toMatchObject({ status: 'installed', lockfileMatches: true });
    expect(result.argv.slice(1)).toEqual(['install', '--offline', '--frozen-lockfile', '--reporter=silent']);
    console.log(`pnpm install --offline in a worktree of this repository: ${result.durationMs} ms`);

    // rag-app's workspace dependency resolves (through its real path) to the worktree's own forge.
    expect(realpathSync(join(wt.dir, 'rag-app/node_modules/@dark-factory/forge'))).toBe(
      join(wt.dir, 'forge'),
    );
    const { stdout } = await run(process.execPath, ['-p', "require.resolve('@dark-factory/forge')"], {
      cwd: join(wt.dir, 'rag-app'),
    });
    expect(stdout.trim()).toBe(join(wt.dir, 'forge/src/index.ts'));
    expect(existsSync(join(wt.dir, 'node_modules/.bin/tsx'))).toBe(true);
    expect(await isClean(wt.dir)).toBe(true);

    // A lockfile that differs from the source repository's is still installed offline, and says so.
    await writeFile(
      join(wt.dir, 'pnpm-lock.yaml'),
      `${await readFile(join(wt.dir, 'pnpm-lock.yaml'), 'utf8')}# edited\n`,
    );
    const again = await installDependencies(wt.dir, { sourceRepo: clone });
    expect(again).toMatchObject({ status: 'installed', lockfileMatches: false });
    console.log(`pnpm install --offline again (node_modules present): ${again.durationMs} ms`);
  });
});

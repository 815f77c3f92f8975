import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideCommand, OPERATORS_REFUSED, parseArgv } from '../src/tools/command.ts';
import { TOOL_DEFINITIONS, TOOL_INPUT_SCHEMAS, TOOL_NAMES } from '../src/tools/definitions.ts';
import { search } from '../src/tools/fs-tools.ts';
import { resolveInWorktree } from '../src/tools/paths.ts';
import { createCommandRunner } from '../src/tools/sandbox.ts';
import { createAgentToolbox, createReadOnlyToolbox, type ToolEvent } from '../src/tools/toolbox.ts';
import type { Toolbox, ToolOutcome } from '../src/tools/types.ts';
import { makeToolRepo, type ToolRepo, testPolicy } from './support/tool-repo.ts';

let repo: ToolRepo;
let box: Toolbox;
let events: ToolEvent[];
const policy = testPolicy();

beforeEach(async () => {
  repo = await makeToolRepo();
  events = [];
  const runner = await createCommandRunner({
    boundary: 'bubblewrap',
    worktree: repo.dir,
    protectedPaths: policy.protected,
    tmpDir: join(repo.outside, 'tmp'),
  });
  box = createAgentToolbox({ worktree: repo.dir, policy, runner, onEvent: (e) => events.push(e) });
});

afterEach(async () => {
  await repo.cleanup();
});

function expectRefused(outcome: ToolOutcome, reason: string | RegExp) {
  expect(outcome.isError).toBe(true);
  expect(outcome.verdict).toBe('refused');
  if (typeof reason === 'string') expect(outcome.content).toBe(reason);
  else expect(outcome.content).toMatch(reason);
}

function expectError(outcome: ToolOutcome, reason: RegExp) {
  expect(outcome.isError).toBe(true);
  expect(outcome.verdict).toBe('error');
  expect(outcome.content).toMatch(reason);
}

describe('resolveInWorktree', () => {
  it('refuses absolute paths, .. escapes, NUL and .git internals', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/etc/passwd', /^refused: \/etc\/passwd is an absolute path/],
      ['../outside/secret.txt', /^refused: \.\.\/outside\/secret\.txt is outside the worktree$/],
      ['rag-app/../../outside', /is outside the worktree$/],
      ['..', /is outside the worktree$/],
      ['rag-app/\0x', /NUL/],
      ['.git/config', /is inside \.git$/],
      ['rag-app/.git/hooks/pre-commit', /is inside \.git$/],
      ['~/.ssh/id_rsa', /is an absolute path/],
    ];
    for (const [path, reason] of cases) {
      const resolved = await resolveInWorktree(repo.dir, path);
      expect(resolved.ok, path).toBe(false);
      if (!resolved.ok) expect(resolved.reason, path).toMatch(reason);
    }
  });

  it('refuses symlinks that leave the worktree, existing or dangling, and follows those that stay', async () => {
    for (const path of [
      'rag-app/out',
      'rag-app/out/secret.txt',
      'rag-app/out/new/file.txt',
      'rag-app/dangling.txt',
    ]) {
      const resolved = await resolveInWorktree(repo.dir, path);
      expect(resolved.ok, path).toBe(false);
      if (!resolved.ok) expect(resolved.reason, path).toMatch(/resolves outside the worktree \(symlink\)$/);
    }
    const inside = await resolveInWorktree(repo.dir, 'rag-app/mission-link.md');
    expect(inside).toMatchObject({ ok: true, rel: 'rag-app/mission-link.md', realRel: 'mission.md' });
    const fresh = await resolveInWorktree(repo.dir, './rag-app//src/new/deep.ts');
    expect(fresh).toMatchObject({
      ok: true,
      rel: 'rag-app/src/new/deep.ts',
      realRel: 'rag-app/src/new/deep.ts',
    });
    expect(await resolveInWorktree(repo.dir, '.')).toMatchObject({ ok: true, rel: '.' });
  });
});

describe('tool definitions', () => {
  it('offers exactly the issue’s tools, each JSON schema matching its zod schema', () => {
    expect(TOOL_NAMES).toEqual([
      'list_files',
      'read_file',
      'search',
      'write_file',
      'edit_file',
      'run',
      'done',
    ]);
    for (const name of TOOL_NAMES) {
      const definition = TOOL_DEFINITIONS[name];
      expect(definition.name).toBe(name);
      const shape = TOOL_INPUT_SCHEMAS[name].shape as Record<
        string,
        { safeParse(v: unknown): { success: boolean } }
      >;
      expect(Object.keys(definition.input_schema.properties ?? {}).sort()).toEqual(Object.keys(shape).sort());
      const optional = Object.keys(shape).filter((key) => shape[key]?.safeParse(undefined).success);
      const required = Object.keys(shape).filter((key) => !optional.includes(key));
      expect([...(definition.input_schema.required ?? [])].sort()).toEqual(required.sort());
    }
    expect(box.definitions.map((d) => d.name)).toEqual([
      'list_files',
      'read_file',
      'search',
      'write_file',
      'edit_file',
      'run',
    ]);
    expect(createReadOnlyToolbox({ worktree: repo.dir }).definitions.map((d) => d.name)).toEqual([
      'list_files',
      'read_file',
      'search',
    ]);
  });

  it('answers invalid input and unknown tools with an error result, never a throw', async () => {
    expectError(await box.execute('read_file', {}), /^error: invalid input for read_file: path: /);
    expectError(
      await box.execute('read_file', { path: 'README.md', offset: 0 }),
      /offset: offset is a 1-based line number/,
    );
    expectError(
      await box.execute('edit_file', { path: 'rag-app/src/fuse.ts', old_string: '' }),
      /old_string: .*new_string: /,
    );
    expectError(await box.execute('run', 'pnpm test'), /^error: invalid input for run: /);
    expectError(
      await box.execute('delete_file', { path: 'x' }),
      /^error: unknown tool delete_file \(available: list_files, /,
    );
    const readOnly = createReadOnlyToolbox({ worktree: repo.dir });
    expectError(
      await readOnly.execute('write_file', { path: 'rag-app/x.ts', content: '' }),
      /unknown tool write_file/,
    );
  });
});

describe('list_files', () => {
  it('lists tracked and untracked files, not ignored ones, under a path', async () => {
    const outcome = await box.execute('list_files', { path: 'rag-app' });
    expect(outcome.verdict).toBe('ok');
    const lines = outcome.content.split('\n');
    expect(lines[0]).toMatch(/^\d+ files under rag-app:$/);
    expect(lines).toContain('rag-app/src/fuse.ts');
    expect(lines).toContain('rag-app/src/untracked.ts');
    expect(lines).not.toContain('rag-app/debug.log');
    const root = await box.execute('list_files', {});
    expect(root.content).toContain('\nmission.md');
    expect(root.content).not.toMatch(/\.git\//);
    expectRefused(await box.execute('list_files', { path: '../outside' }), /is outside the worktree$/);
    expectError(await box.execute('list_files', { path: 'nope' }), /^error: nope does not exist$/);
  });

  it('caps a long listing with a "… N more" line', async () => {
    await mkdir(join(repo.dir, 'rag-app/many'), { recursive: true });
    for (let i = 0; i < 350; i++)
      await writeFile(join(repo.dir, `rag-app/many/f${String(i).padStart(3, '0')}.txt`), '');
    const outcome = await box.execute('list_files', { path: 'rag-app/many' });
    const lines = outcome.content.split('\n');
    expect(lines[0]).toBe('350 files under rag-app/many:');
    expect(lines).toHaveLength(1 + 300 + 1);
    expect(lines.at(-1)).toBe('… 50 more (list a subdirectory to see them)');
  });
});

describe('read_file', () => {
  it('shows a numbered window, says the total, and how to read further', async () => {
    const text = Array.from({ length: 600 }, (_, i) => `line ${i + 1}`).join('\n');
    await writeFile(join(repo.dir, 'rag-app/long.txt'), `${text}\n`);
    const first = await box.execute('read_file', { path: 'rag-app/long.txt' });
    const lines = first.content.split('\n');
    expect(lines[0]).toBe('rag-app/long.txt (lines 1-400 of 600)');
    expect(lines[1]).toBe('  1\tline 1');
    expect(lines[400]).toBe('400\tline 400');
    expect(lines.at(-1)).toBe('… 200 more lines (read_file with offset 401)');
    const window = await box.execute('read_file', { path: 'rag-app/long.txt', offset: 598, limit: 10 });
    expect(window.content).toBe(
      'rag-app/long.txt (lines 598-600 of 600)\n598\tline 598\n599\tline 599\n600\tline 600',
    );
    expectError(
      await box.execute('read_file', { path: 'rag-app/long.txt', offset: 601 }),
      /past the end .*\(600 lines\)/,
    );
  });

  it('reads through an inside symlink, refuses escapes, and names directories, binaries and empty files', async () => {
    expect((await box.execute('read_file', { path: 'rag-app/mission-link.md' })).content).toContain(
      '1\t# Mission',
    );
    expectRefused(
      await box.execute('read_file', { path: 'rag-app/out/secret.txt' }),
      /resolves outside the worktree/,
    );
    expectRefused(await box.execute('read_file', { path: '/etc/hostname' }), /is an absolute path/);
    expectError(
      await box.execute('read_file', { path: 'rag-app/src' }),
      /is a directory \(use list_files\)$/,
    );
    await writeFile(join(repo.dir, 'rag-app/blob.bin'), Buffer.from([1, 0, 2, 3]));
    expectError(await box.execute('read_file', { path: 'rag-app/blob.bin' }), /is a binary file$/);
    await writeFile(join(repo.dir, 'rag-app/empty.txt'), '');
    expect((await box.execute('read_file', { path: 'rag-app/empty.txt' })).content).toBe(
      'rag-app/empty.txt is empty (0 lines)',
    );
  });
});

describe('search', () => {
  it('prints file:line: text for matches under a path', async () => {
    const outcome = await box.execute('search', { pattern: 'export function \\w+', path: 'rag-app' });
    expect(outcome.content).toBe(
      '1 match in 1 file under rag-app:\nrag-app/src/fuse.ts:1: export function fuse(a: number, b: number) {',
    );
    expect((await box.execute('search', { pattern: 'no-such-thing-anywhere' })).content).toMatch(
      /^no matches for /,
    );
    expectError(
      await box.execute('search', { pattern: '(unclosed' }),
      /^error: invalid regular expression: /,
    );
    expectRefused(
      await box.execute('search', { pattern: 'x', path: 'rag-app/out' }),
      /resolves outside the worktree/,
    );
  });

  it('caps the matches and says how many were left out', async () => {
    const text = Array.from({ length: 150 }, (_, i) => `needle ${i}`).join('\n');
    await writeFile(join(repo.dir, 'rag-app/hay.txt'), text);
    const outcome = await box.execute('search', { pattern: '^needle \\d+$', path: 'rag-app/hay.txt' });
    const lines = outcome.content.split('\n');
    expect(lines[0]).toBe('150 matches in 1 file under rag-app/hay.txt:');
    expect(lines[1]).toBe('rag-app/hay.txt:1: needle 0');
    expect(lines).toHaveLength(1 + 100 + 1);
    expect(lines.at(-1)).toBe('… 50 more matches not shown (narrow the pattern or the path)');
  });

  it('stops a catastrophic pattern instead of hanging the factory', async () => {
    await writeFile(join(repo.dir, 'rag-app/redos.txt'), `${'a'.repeat(40)}!\n`);
    const outcome = await search(
      { worktree: repo.dir, searchTimeoutMs: 200 },
      { pattern: '^(a+)+$', path: 'rag-app/redos.txt' },
    );
    expectError(outcome, /^error: the search took over 0\.2 s and was stopped/);
  });
});

describe('write_file and edit_file guards', () => {
  it('refuses protected paths, paths outside writable, lockfiles and symlinked protected files', async () => {
    const cases: Array<[string, string | RegExp]> = [
      ['mission.md', 'refused: mission.md is protected'],
      ['.github/workflows/ci.yml', 'refused: .github/workflows/ci.yml is protected'],
      ['evals/baselines/main.json', 'refused: evals/baselines/main.json is protected'],
      ['evals/gate.json', 'refused: evals/gate.json is protected'],
      ['README.md', /^refused: README\.md is not writable \(writable: rag-app\/\*\*\)$/],
      ['pnpm-lock.yaml', /^refused: pnpm-lock\.yaml is a lockfile/],
      [
        'rag-app/mission-link.md',
        'refused: mission.md is protected (rag-app/mission-link.md is a symlink to it)',
      ],
      ['rag-app/out/secret.txt', /resolves outside the worktree \(symlink\)$/],
      ['rag-app/dangling.txt', /resolves outside the worktree \(symlink\)$/],
      ['../outside/new.txt', /is outside the worktree$/],
      ['.git/hooks/post-checkout', /is inside \.git$/],
    ];
    for (const [path, reason] of cases) {
      expectRefused(await box.execute('write_file', { path, content: 'pwned\n' }), reason);
      expectRefused(await box.execute('edit_file', { path, old_string: 'x', new_string: 'pwned' }), reason);
    }
    expect(await readFile(join(repo.dir, 'mission.md'), 'utf8')).toBe('# Mission\n');
    expect(await readFile(join(repo.outside, 'secret.txt'), 'utf8')).toBe('outside the worktree\n');
    const refusedEvents = events.filter((e) => e.verdict === 'refused');
    expect(refusedEvents).toHaveLength(cases.length * 2);
    expect(refusedEvents[0]).toMatchObject({
      tool: 'write_file',
      target: 'mission.md',
      reason: 'refused: mission.md is protected',
    });
  });

  it('writes writable files, creating directories', async () => {
    const outcome = await box.execute('write_file', { path: 'rag-app/src/new/deep.ts', content: 'a\nb\n' });
    expect(outcome).toEqual({
      content: 'created rag-app/src/new/deep.ts (2 lines)',
      isError: false,
      verdict: 'ok',
    });
    expect(await readFile(join(repo.dir, 'rag-app/src/new/deep.ts'), 'utf8')).toBe('a\nb\n');
    expect((await box.execute('write_file', { path: 'rag-app/src/new/deep.ts', content: 'c' })).content).toBe(
      'overwrote rag-app/src/new/deep.ts (1 line)',
    );
  });

  it('edit_file needs exactly one match', async () => {
    expectError(
      await box.execute('edit_file', {
        path: 'rag-app/src/fuse.ts',
        old_string: 'return a * b;',
        new_string: 'x',
      }),
      /^error: old_string was not found in rag-app\/src\/fuse\.ts \(0 matches;/,
    );
    expectError(
      await box.execute('edit_file', {
        path: 'rag-app/src/twice.ts',
        old_string: 'const x = 1;',
        new_string: 'let x = 1;',
      }),
      /^error: old_string matches 2 times in rag-app\/src\/twice\.ts; include more surrounding lines/,
    );
    expect(await readFile(join(repo.dir, 'rag-app/src/twice.ts'), 'utf8')).toBe(
      'const x = 1;\nconst x = 1;\n',
    );
    const outcome = await box.execute('edit_file', {
      path: 'rag-app/src/fuse.ts',
      old_string: '  return a + b;',
      new_string: '  return a * b;',
    });
    expect(outcome.verdict).toBe('ok');
    expect(outcome.content).toContain('edited rag-app/src/fuse.ts (lines 2-2 replaced; 3 lines now):');
    expect(outcome.content).toContain('2\t  return a * b;');
    expect(await readFile(join(repo.dir, 'rag-app/src/fuse.ts'), 'utf8')).toContain('return a * b;');
    expectError(
      await box.execute('edit_file', { path: 'rag-app/src/gone.ts', old_string: 'a', new_string: 'b' }),
      /does not exist/,
    );
  });

  it('accepts only appended lines in an append-only file, even though it is protected', async () => {
    const path = 'evals/datasets/regression.jsonl';
    const before = '{"id":"r1"}\n{"id":"r2"}\n';
    const appended = `${before}{"id":"r3"}\n`;
    expect((await box.execute('write_file', { path, content: appended })).verdict).toBe('ok');
    expect(await readFile(join(repo.dir, path), 'utf8')).toBe(appended);
    expectRefused(
      await box.execute('write_file', {
        path,
        content: '{"id":"r1","changed":true}\n{"id":"r2"}\n{"id":"r3"}\n',
      }),
      /^refused: evals\/datasets\/regression\.jsonl is append-only \(lines may only be added at the end\): existing content was changed at line 1$/,
    );
    expectRefused(
      await box.execute('write_file', { path, content: before }),
      /append-only .*content was removed/,
    );
    expectRefused(
      await box.execute('edit_file', { path, old_string: '{"id":"r2"}', new_string: '{"id":"r2b"}' }),
      /append-only/,
    );
    expect(
      (
        await box.execute('edit_file', {
          path,
          old_string: '{"id":"r3"}\n',
          new_string: '{"id":"r3"}\n{"id":"r4"}\n',
        })
      ).verdict,
    ).toBe('ok');
    expect(await readFile(join(repo.dir, path), 'utf8')).toBe(`${appended}{"id":"r4"}\n`);
    const other = testPolicy({ appendOnly: ['evals/datasets/*.jsonl'] });
    const runner = await createCommandRunner({
      boundary: 'container',
      worktree: repo.dir,
      protectedPaths: [],
      tmpDir: join(repo.outside, 'tmp2'),
    });
    const appendBox = createAgentToolbox({ worktree: repo.dir, policy: other, runner });
    expectRefused(
      await appendBox.execute('write_file', { path: 'evals/datasets/new.jsonl', content: '{}\n' }),
      'refused: evals/datasets/new.jsonl is append-only and may not be created',
    );
  });
});

describe('run: what may be executed', () => {
  it('parses argv with quotes and refuses every shell construct', () => {
    expect(parseArgv(`node -e 'console.log("a b; c | d")' x`)).toEqual({
      ok: true,
      argv: ['node', '-e', 'console.log("a b; c | d")', 'x'],
    });
    for (const command of [
      'pnpm test | cat',
      'pnpm test && rm -rf /',
      'pnpm test; git push',
      'pnpm test > out.txt',
      'pnpm test 2>&1',
      'cat < /etc/passwd',
      'echo $HOME',
      `echo "\${HOME}"`,
      'echo $(id)',
      'echo `id`',
      'ls rag-app/*.ts',
      'pnpm test # comment',
      'pnpm test\ngit push',
      'pnpm test &',
      '(pnpm test)',
    ]) {
      expect(parseArgv(command), command).toEqual({ ok: false, reason: OPERATORS_REFUSED });
    }
  });

  it('allows the validate commands (with trailing paths) and read-only git, nothing else', () => {
    const p = testPolicy({
      validate: [
        { name: 'typecheck', command: 'pnpm typecheck', timeoutSeconds: 120 },
        { name: 'test', command: 'pnpm exec vitest run', timeoutSeconds: 600 },
      ],
    });
    expect(decideCommand(p, 'pnpm typecheck')).toEqual({
      allowed: true,
      argv: ['pnpm', 'typecheck'],
      kind: 'validate',
      name: 'typecheck',
      timeoutMs: 120_000,
    });
    expect(decideCommand(p, 'pnpm exec vitest run rag-app/test/ask.test.ts')).toMatchObject({
      allowed: true,
      argv: ['pnpm', 'exec', 'vitest', 'run', 'rag-app/test/ask.test.ts'],
      name: 'test',
    });
    expect(decideCommand(p, 'git diff --stat')).toMatchObject({
      allowed: true,
      kind: 'git',
      timeoutMs: 60_000,
    });
    expect(decideCommand(p, 'git log --oneline -S fuse')).toMatchObject({ allowed: true, kind: 'git' });
    const refusals: Array<[string, RegExp]> = [
      ['node -e "require(1)"', /^refused: node -e "require\(1\)" is not an allowed command/],
      ['pnpm install', /^refused: pnpm install is not an allowed command/],
      ['pnpm', /^refused: pnpm is not an allowed command/],
      ['rm -rf rag-app', /^refused: rm -rf rag-app is not an allowed command/],
      [
        'pnpm exec vitest run --config evil.ts',
        /^refused: --config is not allowed after `pnpm exec vitest run`/,
      ],
      ['pnpm exec vitest run ../outside', /^refused: \.\.\/outside is not allowed after/],
      ['pnpm exec vitest run /etc/passwd', /^refused: \/etc\/passwd is not allowed after/],
      ['pnpm typecheck .git/config', /^refused: \.git\/config is not allowed after/],
      [
        'git push origin main',
        /^refused: git push origin main is not an allowed command \(read-only git only/,
      ],
      ['git commit -m x', /is not an allowed command/],
      ['git -c core.pager=sh log', /^refused: git -c core\.pager=sh log is not an allowed command/],
      ['git -C /etc status', /is not an allowed command/],
      ['git', /is not an allowed command/],
      ['git diff --output=/tmp/x', /^refused: git diff --output is not allowed \(read-only git only\)$/],
      ['git log --output /tmp/x', /git log --output is not allowed/],
      ['git grep -o x', /git grep -o is not allowed/],
      ['git diff --ext-diff', /git diff --ext-diff is not allowed/],
      ['git diff --no-index /etc/passwd x', /git diff --no-index is not allowed/],
      ['git grep -Ovim x', /git grep -O is not allowed/],
      ['git blame --contents /etc/passwd x', /git blame --contents is not allowed/],
      ['pnpm typecheck | tee x', /^refused: shell operators are not allowed$/],
    ];
    for (const [command, reason] of refusals) {
      const decision = decideCommand(p, command);
      expect(decision.allowed, command).toBe(false);
      if (!decision.allowed) expect(decision.reason, command).toMatch(reason);
    }
  });

  it('refuses through the toolbox, runs allowed git in the sandbox, and says when there was no output', async () => {
    expectRefused(
      await box.execute('run', { command: `node -e "require('fs').writeFileSync('mission.md','x')"` }),
      /^refused: node -e .* is not an allowed command/,
    );
    expectRefused(await box.execute('run', { command: 'git status > mission.md' }), OPERATORS_REFUSED);
    const status = await box.execute('run', { command: 'git status --short' });
    expect(status.verdict).toBe('ok');
    expect(status.content).toMatch(/^\$ git status --short\nexit code 0 \(\d+\.\d s\)\n/);
    expect(status.content).toContain('?? rag-app/src/untracked.ts');
    const quiet = await box.execute('run', { command: 'git diff' });
    expect(quiet.content).toMatch(/exit code 0 \(\d+\.\d s\)\n\(no output\)$/);
    const bad = await box.execute('run', { command: 'git show no-such-revision' });
    expectError(bad, /exit code 128/);
    expect(events.at(-1)).toMatchObject({
      tool: 'run',
      verdict: 'error',
      command: { argv: ['git', 'show', 'no-such-revision'], exitCode: 128, boundary: 'bubblewrap' },
    });
    expect(await readFile(join(repo.dir, 'mission.md'), 'utf8')).toBe('# Mission\n');
  });
});

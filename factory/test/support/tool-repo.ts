import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Policy, type PolicyInput, PolicySchema } from '../../src/policy/schema.ts';

/** A temporary git repository laid out like this one (protected files included), for the tools' tests. */
export interface ToolRepo {
  dir: string;
  /** A sibling directory outside the repository (symlink targets, hidden dirs). */
  outside: string;
  cleanup(): Promise<void>;
}

export const TEST_PROTECTED = ['mission.md', '.github/**', '.ci/**', 'scripts/**', 'evals/**', 'factory/**'];

export function testPolicy(overrides: Partial<PolicyInput> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    writable: ['rag-app/**'],
    protected: TEST_PROTECTED,
    appendOnly: ['evals/datasets/regression.jsonl'],
    validate: [{ name: 'typecheck', command: 'pnpm typecheck', timeoutSeconds: 60 }],
    ...overrides,
  });
}

const FILES: Record<string, string> = {
  'mission.md': '# Mission\n',
  '.github/workflows/ci.yml': 'name: ci\n',
  'evals/baselines/main.json': '{"recall": 0.9}\n',
  'evals/gate.json': '{}\n',
  'evals/datasets/regression.jsonl': '{"id":"r1"}\n{"id":"r2"}\n',
  'pnpm-lock.yaml': 'lockfileVersion: 9\n',
  'README.md': '# readme\n',
  '.gitignore': '*.log\nignored/\n',
  'rag-app/src/fuse.ts': 'export function fuse(a: number, b: number) {\n  return a + b;\n}\n',
  'rag-app/src/twice.ts': 'const x = 1;\nconst x = 1;\n',
};

/**
 * The committed repository, made once (git init, config, add, commit: five git processes) at a
 * path keyed by its files, and copied into each test's own directory (a file copy, no process).
 * Built aside and renamed into place, so racing workers never copy half a repository.
 */
let committed: Promise<string> | undefined;
function committedRepo(): Promise<string> {
  committed ??= (async () => {
    const key = createHash('sha256').update(JSON.stringify(FILES)).digest('hex').slice(0, 16);
    const ready = join(tmpdir(), `factory-tools-template-${key}`);
    if (existsSync(join(ready, 'repo', '.git', 'HEAD'))) return join(ready, 'repo');
    const base = await mkdtemp(`${ready}-building-`);
    const dir = join(base, 'repo');
    for (const [path, content] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'tests@example.com');
    git('config', 'user.name', 'tests');
    git('add', '-A');
    git('commit', '-q', '-m', 'initial');
    await rename(base, ready).catch(async (err: NodeJS.ErrnoException) => {
      // Another worker finished first: use its copy.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await rm(base, { recursive: true, force: true });
    });
    return join(ready, 'repo');
  })();
  return committed;
}

export async function makeToolRepo(): Promise<ToolRepo> {
  const base = await mkdtemp(join(tmpdir(), 'factory-tools-'));
  const dir = join(base, 'repo');
  const outside = join(base, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'outside the worktree\n');
  await cp(await committedRepo(), dir, { recursive: true });
  // Untracked and ignored files, and symlinks (escaping, into a protected file, dangling outside).
  await writeFile(join(dir, 'rag-app/src/untracked.ts'), 'export const untracked = true;\n');
  await writeFile(join(dir, 'rag-app/debug.log'), 'ignored\n');
  await symlink(outside, join(dir, 'rag-app/out'));
  await symlink('../mission.md', join(dir, 'rag-app/mission-link.md'));
  await symlink(join(outside, 'nowhere', 'file.txt'), join(dir, 'rag-app/dangling.txt'));
  return { dir, outside, cleanup: () => rm(base, { recursive: true, force: true }) };
}

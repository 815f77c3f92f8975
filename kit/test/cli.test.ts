import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpWidth, isEntryModule, packageVersion, userCwd, writeLine } from '../src/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kit-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('packageVersion', () => {
  it('reads the version of a package.json, and refuses one without a version', async () => {
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3' }));
    expect(packageVersion(pathToFileURL(path.join(dir, 'package.json')))).toBe('1.2.3');
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ name: 'x' }));
    expect(() => packageVersion(pathToFileURL(path.join(dir, 'bad.json')))).toThrow(/version/);
  });
});

describe('isEntryModule', () => {
  it('is true for the script node was started with, also through a link, and false otherwise', async () => {
    const main = path.join(dir, 'main.ts');
    await writeFile(main, '');
    await symlink(main, path.join(dir, 'linked.ts'));
    const url = pathToFileURL(main).href;
    expect(isEntryModule(url, main)).toBe(true);
    expect(isEntryModule(url, path.join(dir, 'linked.ts'))).toBe(true);
    expect(isEntryModule(url, path.join(dir, 'package.json'))).toBe(false);
    expect(isEntryModule(url, undefined)).toBe(false);
    expect(isEntryModule(url, path.join(dir, 'missing.ts'))).toBe(false);
  });
});

describe('the sinks and the user directory', () => {
  it('writes one line per call, wraps help to a terminal only, and takes INIT_CWD when set', () => {
    let text = '';
    const sink = { write: (t: string) => (text += t), isTTY: false, columns: 120 };
    writeLine(sink, 'a');
    writeLine(sink, 'b\n');
    expect(text).toBe('a\nb\n');
    expect(helpWidth(sink)).toBeUndefined();
    expect(helpWidth({ ...sink, isTTY: true })).toBe(120);
    expect(userCwd({ INIT_CWD: '/home/me' }, '/repo/pkg')).toBe('/home/me');
    expect(userCwd({ INIT_CWD: ' ' }, '/repo/pkg')).toBe('/repo/pkg');
    expect(userCwd({}, '/repo/pkg')).toBe('/repo/pkg');
  });
});

describe('runAsProcess on a pipe the reader closed', () => {
  it('ends quietly with 0 when `| head` stops reading, not with an EPIPE stack trace', async () => {
    const cli = pathToFileURL(path.resolve(import.meta.dirname, '../src/cli.ts')).href;
    const script = path.join(dir, 'chatty.mts');
    // A command that prints far more than a pipe holds, line by line, as the CLIs' writeLine does.
    await writeFile(
      script,
      `import { runAsProcess, writeLine } from ${JSON.stringify(cli)};
await runAsProcess(async () => {
  for (let i = 0; i < 200000; i++) {
    writeLine(process.stdout, 'line ' + i + ' of a long answer');
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  return 0;
}, []);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // The reader takes the first lines and goes away, as head does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 30_000);
});

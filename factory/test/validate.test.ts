/**
 * The validate step's commands through the real command runner (bubblewrap when it runs here, else
 * the container boundary) in a temporary worktree: every command's own exit code decides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidateCommand } from '../src/policy/schema.ts';
import { runValidateCommands, ValidateCommandsResultSchema } from '../src/steps/validate.ts';
import { checkBubblewrap, createCommandRunner } from '../src/tools/sandbox.ts';
import type { CommandRunner } from '../src/tools/types.ts';

const node = process.execPath;
const cmd = (name: string, command: string, timeoutSeconds = 60): ValidateCommand => ({
  name,
  command,
  timeoutSeconds,
});

describe('runValidateCommands', () => {
  let root: string;
  let runner: CommandRunner;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'validate-test-'));
    const bwrap = await checkBubblewrap();
    runner = await createCommandRunner({
      boundary: bwrap.ok ? 'bubblewrap' : 'container',
      worktree: root,
      tmpDir: mkdtempSync(path.join(tmpdir(), 'validate-tmp-')),
      protectedPaths: [],
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('records each command and passes only when every one exits 0', async () => {
    const lines: string[] = [];
    const result = await runValidateCommands({
      commands: [
        cmd('hello', `${node} -e "console.log('hello from the sandbox')"`),
        cmd('fails', `${node} -e "console.error('broken'); process.exit(3)"`),
        cmd('after', `${node} -e "console.log('still run')"`),
      ],
      runner,
      onProgress: (l) => lines.push(l),
    });
    expect(ValidateCommandsResultSchema.parse(result)).toEqual(result);
    expect(result.ok).toBe(false);
    expect(result.firstFailure).toBe('fails');
    expect(result.commands.map((c) => [c.name, c.status, c.exitCode])).toEqual([
      ['hello', 'passed', 0],
      ['fails', 'failed', 3],
      ['after', 'passed', 0],
    ]);
    expect(result.commands[0]!.output).toContain('hello from the sandbox');
    expect(result.commands[1]!.output).toContain('broken');
    expect(result.commands[1]!.argv).toEqual([node, '-e', "console.error('broken'); process.exit(3)"]);
    expect(result.commands[0]!.boundary).toBe(runner.boundary);
    expect(lines).toContain(
      `validate fails: FAILED (exit 3, ${(result.commands[1]!.durationMs / 1000).toFixed(1)} s)`,
    );
  });

  it('passes when all exit 0', async () => {
    const result = await runValidateCommands({
      commands: [cmd('one', `${node} -e "process.exit(0)"`), cmd('two', `${node} --version`)],
      runner,
    });
    expect(result.ok).toBe(true);
    expect(result.firstFailure).toBeNull();
    expect(result.commands.every((c) => c.status === 'passed' && c.exitCode === 0)).toBe(true);
  });

  it('fails a pipeline, whose last command would have exited 0, instead of reading the wrong status', async () => {
    // No shell ever sees the command: `|` is refused, so a failing check cannot hide behind `tail`.
    const result = await runValidateCommands({
      commands: [cmd('piped', `${node} -e "process.exit(1)" | tail -1`)],
      runner,
    });
    expect(result.ok).toBe(false);
    expect(result.commands[0]).toMatchObject({ status: 'failed', exitCode: null, argv: [] });
    expect(result.commands[0]!.output).toMatch(/^refused: shell operators/);
  });

  it('fails a command killed by its timeout, and with failFast skips the rest', async () => {
    const result = await runValidateCommands({
      commands: [
        cmd('hangs', `${node} -e "setInterval(() => {}, 1000)"`, 1),
        cmd('never', `${node} -e "process.exit(0)"`),
      ],
      runner,
      failFast: true,
    });
    expect(result.ok).toBe(false);
    expect(result.commands[0]).toMatchObject({
      name: 'hangs',
      status: 'failed',
      exitCode: null,
      timedOut: true,
    });
    expect(result.commands[1]).toMatchObject({
      name: 'never',
      status: 'skipped',
      exitCode: null,
      durationMs: 0,
    });
  });

  it('fails a command that cannot be found', async () => {
    const result = await runValidateCommands({
      commands: [cmd('missing', 'no-such-command-xyz --check')],
      runner,
    });
    expect(result.ok).toBe(false);
    expect(result.commands[0]!.status).toBe('failed');
    expect(result.commands[0]!.exitCode).not.toBe(0);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isForgeError, LocalForge } from '@dark-factory/forge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorFromEnv, createContext } from '../src/cli/context.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'factory-cli-author-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI’s local forge author', () => {
  it('is FACTORY_AUTHOR, else the OS user, else none', () => {
    expect(authorFromEnv({ FACTORY_AUTHOR: ' maintainer ' }, () => 'root')).toBe('maintainer');
    expect(authorFromEnv({ FACTORY_AUTHOR: '' }, () => 'alice')).toBe('alice');
    expect(authorFromEnv({}, () => 'Jane Doe')).toBeUndefined();
    expect(
      authorFromEnv({}, () => {
        throw new Error('no passwd entry');
      }),
    ).toBeUndefined();
  });

  it('is recorded on what the CLI files and counts as admin', async () => {
    const context = createContext({ FORGE_DIR: dir, FACTORY_AUTHOR: 'maintainer' });
    const forge = context.forge();
    expect(forge).toBeInstanceOf(LocalForge);
    const issue = await forge.createIssue({ title: 'Filed from the CLI' });
    expect(issue.author).toBe('maintainer');
    expect((await forge.commentOnIssue(issue.number, 'on it')).author).toBe('maintainer');
    expect(await forge.viewer()).toBe('maintainer');
    expect(await forge.getPermission('maintainer')).toBe('admin');
  });

  it('refuses a FACTORY_AUTHOR that is not a login', () => {
    const context = createContext({ FORGE_DIR: dir, FACTORY_AUTHOR: 'two words' });
    let caught: unknown;
    try {
      context.forge();
    } catch (err) {
      caught = err;
    }
    expect(isForgeError(caught, 'invalid')).toBe(true);
    expect((caught as Error).message).toMatch(/forge author/);
  });
});

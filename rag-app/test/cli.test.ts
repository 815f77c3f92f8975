import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, type TextSink, userCwd } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { ingestProgress } from '../src/cli/progress.ts';
import { loadConfig } from '../src/config.ts';
import type { IngestItemResult } from '../src/types.ts';
import { seedBlankStore } from './support/pglite-templates.ts';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'rag-app/test/fixtures/ingest');
const version = (
  JSON.parse(readFileSync(path.join(root, 'rag-app/package.json'), 'utf8')) as { version: string }
).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(options: { isTTY?: boolean; columns?: number } = {}): TextSink & { text: string } {
  const s = {
    text: '',
    ...options,
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s;
}

/**
 * Runs the CLI in this process, as `pnpm rag …` would from the repository root: the settings come
 * from `env` alone (its own data directory, no DATABASE_URL, no model key), output is captured.
 */
async function rag(dataDir: string, ...args: string[]): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  const ctx: CliContext = {
    env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    cwd: root,
    stdout,
    stderr,
  };
  const code = await main(args, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const talk = ['--file', path.join(fixtures, 'talk.vtt'), '--video-id', 'dQw4w9WgXcQ', '--title', 'A talk'];

describe('the rag CLI (public interface, in-process)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-cli-'));

  beforeAll(async () => {
    // A blank store in the data directory, as the first ingest's initdb leaves it (that from nothing
    // is the fault tests' and the templates'): the CLI migrates and fills it.
    await seedBlankStore(loadConfig({ DATA_DIR: dataDir }).pgliteDir);
    const res = await rag(dataDir, 'ingest', ...talk);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^videos: 1 added, 0 updated, 0 skipped, 0 failed; \d+ chunks; [\d.]+s\n$/);
    // One video: no progress line before the summary (a line comes every tenth of the way).
    expect(res.stderr).toBe('');
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('ask --json prints exactly the answer contract', async () => {
    const res = await rag(dataDir, 'ask', 'What does the talk say?', '--json', '--k', '3');
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(Object.keys(out).sort()).toEqual(['answer', 'citations', 'refused', 'timings']);
    expect(typeof out.answer).toBe('string');
    expect(typeof out.refused).toBe('boolean');
    expect(Object.keys(out.timings).sort()).toEqual(['answerMs', 'retrieveMs']);
    for (const c of out.citations) {
      expect(Object.keys(c).sort()).toEqual(['end', 'start', 'text', 'title', 'url', 'videoId']);
      expect(c.url).toBe(`https://youtu.be/${c.videoId}?t=${c.start}`);
    }
  });

  it('search --json prints ranked chunks with scores', async () => {
    const res = await rag(dataDir, 'search', 'talk', '--json');
    expect(res.code, res.stderr).toBe(0);
    const hits = JSON.parse(res.stdout);
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      expect(h).toMatchObject({
        videoId: 'dQw4w9WgXcQ',
        title: 'A talk',
        score: expect.any(Number),
        url: expect.stringMatching(/^https:\/\/youtu\.be\/dQw4w9WgXcQ\?t=\d+$/),
      });
    }
  });

  it('stats, and re-ingesting the same file skips it (--verbose lists it)', async () => {
    const stats = await rag(dataDir, 'stats');
    expect(JSON.parse(stats.stdout)).toMatchObject({ videos: 1, chunks: expect.any(Number) });
    const res = await rag(dataDir, 'ingest', ...talk, '--verbose');
    expect(res.stdout).toMatch(/0 added, 0 updated, 1 skipped/);
    expect(res.stderr).toBe(`[1/1] skipped ${path.join(fixtures, 'talk.vtt')}\n`);
  });

  it('has --help on every command and --version from package.json', async () => {
    for (const cmd of [[], ['ingest'], ['ask'], ['search'], ['serve'], ['stats'], ['reindex'], ['admin']]) {
      const res = await rag(dataDir, ...cmd, '--help');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^Usage: rag/);
      expect(res.stderr).toBe('');
    }
    expect(await rag(dataDir, '--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    // No command: the help, on stderr, and a failure.
    const bare = await rag(dataDir);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/^Usage: rag/);
  });

  it('--video takes the id or the YouTube link a user copies, and names a video the store lacks', async () => {
    for (const ref of [
      'dQw4w9WgXcQ',
      'https://youtu.be/dQw4w9WgXcQ?t=42',
      'www.youtube.com/watch?v=dQw4w9WgXcQ',
    ]) {
      const res = await rag(dataDir, 'search', 'talk', '--json', '--video', ref);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout).every((h: { videoId: string }) => h.videoId === 'dQw4w9WgXcQ')).toBe(
        true,
      );
    }
    expect(
      await rag(dataDir, 'ask', 'What does the talk say?', '--video', 'https://youtu.be/xxxxxxxxxxx'),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr: 'rag: not_found: no video xxxxxxxxxxx in the store\n',
    });
    const notYoutube = await rag(
      dataDir,
      'search',
      'talk',
      '--video',
      'https://example.com/watch?v=dQw4w9WgXcQ',
    );
    expect(notYoutube.code).toBe(1);
    expect(notYoutube.stderr).toMatch(/^rag: usage: option '--video <id>' argument .* not a YouTube URL/);
  });

  it('exits non-zero with one readable line on errors', async () => {
    const bad = await rag(dataDir, 'ask', 'x'.repeat(3000), '--json');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^rag: input_invalid: the question is too long[^\n]*\n$/);
    expect(await rag(dataDir, 'search', 'talk', '--k', '0')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "rag: usage: option '--k <n>' argument '0' is invalid. --k must be a positive integer (add --help for usage)\n",
    });
    expect(await rag(dataDir, 'stats', '--bogus')).toEqual({
      code: 1,
      stdout: '',
      stderr: "rag: usage: unknown option '--bogus' (add --help for usage)\n",
    });
    const nothing = await rag(dataDir, 'ingest');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe(
      'rag: usage: nothing to ingest: give video ids/urls, --corpus <dir>, --file <path> or --list <file>\n',
    );
    const badFile = await rag(
      dataDir,
      'ingest',
      '--file',
      path.join(fixtures, 'bad-timing.srt'),
      '--video-id',
      'jNQXAC9IVRw',
    );
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toMatch(/^failed .*bad-timing\.srt: /);
    expect(badFile.stdout).toMatch(/^videos: 0 added, 0 updated, 0 skipped, 1 failed/);
  });

  it('resolves the paths a user types against INIT_CWD, where pnpm was run', () => {
    expect(userCwd({ INIT_CWD: '/home/me/videos' }, '/repo/rag-app')).toBe('/home/me/videos');
    expect(userCwd({ INIT_CWD: ' ' }, '/repo')).toBe('/repo');
    expect(userCwd({}, '/repo')).toBe('/repo');
  });
});

describe('ingest progress', () => {
  const results = (n: number): IngestItemResult[] =>
    Array.from({ length: n }, (_, i) => ({
      ref: `/corpus/video-${i}.md`,
      videoId: `v${i}`,
      status: i % 10 === 9 ? 'skipped' : 'added',
      chunks: 3,
    }));
  const feed = (progress: ReturnType<typeof ingestProgress>, items: IngestItemResult[]) => {
    for (const [i, r] of items.entries()) progress.onItem(r, i + 1);
    progress.stop();
  };

  it('prints a line with the counts every tenth of the way when stderr is no terminal', () => {
    const stderr = sink();
    feed(ingestProgress(198, { stderr }), results(198));
    const lines = stderr.text.trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('ingest 20/198: 18 added, 0 updated, 2 skipped, 0 failed');
    expect(lines[8]).toBe('ingest 180/198: 162 added, 0 updated, 18 skipped, 0 failed');
    expect(stderr.text).not.toContain('/corpus/');
  });

  it('lists every video with --verbose, and draws one bar on a terminal', () => {
    const verbose = sink();
    feed(ingestProgress(198, { stderr: verbose, verbose: true }), results(198));
    const lines = verbose.text.trimEnd().split('\n');
    expect(lines).toHaveLength(198);
    expect(lines[0]).toBe('[1/198] added /corpus/video-0.md');

    const tty = sink({ isTTY: true, columns: 100 });
    feed(ingestProgress(198, { stderr: tty }), results(198));
    expect(tty.text).toContain('198/198');
    expect(tty.text).not.toContain('/corpus/');
    expect(tty.text).not.toMatch(/^ingest \d/m);
  });
});

describe('the real entry point (child process)', () => {
  it('`pnpm rag` runs node_modules/.bin/rag: the version, and nothing else on stdout or stderr', async () => {
    // The shim pnpm made for rag-app's bin, which `pnpm rag` runs (a script would echo `$ tsx …`).
    const { stdout, stderr } = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/rag'),
      ['--version'],
      {
        cwd: root,
      },
    );
    expect({ stdout, stderr }).toEqual({ stdout: `${version}\n`, stderr: '' });
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'rag-app/test/fixtures/ingest');

/** Runs the CLI the way `pnpm rag …` does, on its own data directory. */
async function rag(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'rag-app/src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', ANTHROPIC_API_KEY: '', LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the rag CLI (public interface)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-cli-'));

  beforeAll(async () => {
    const res = await rag(
      dataDir,
      'ingest',
      '--file',
      path.join(fixtures, 'talk.vtt'),
      '--video-id',
      'dQw4w9WgXcQ',
      '--title',
      'A talk',
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/videos: 1 added, 0 updated, 0 skipped, 0 failed; \d+ chunks/);
  }, 120_000);

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
    expect(Array.isArray(hits)).toBe(true);
    for (const h of hits) {
      expect(h).toMatchObject({
        videoId: 'dQw4w9WgXcQ',
        title: 'A talk',
        score: expect.any(Number),
        url: expect.stringMatching(/^https:\/\/youtu\.be\/dQw4w9WgXcQ\?t=\d+$/),
      });
    }
  });

  it('re-ingesting the same file skips it', async () => {
    const res = await rag(
      dataDir,
      'ingest',
      '--file',
      path.join(fixtures, 'talk.vtt'),
      '--video-id',
      'dQw4w9WgXcQ',
      '--title',
      'A talk',
    );
    expect(res.stdout).toMatch(/0 added, 0 updated, 1 skipped/);
  });

  it('has --help on every command and exits non-zero with one readable line on errors', async () => {
    for (const cmd of [[], ['ingest'], ['ask'], ['search'], ['serve'], ['stats'], ['reindex']]) {
      const res = await rag(dataDir, ...cmd, '--help');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Usage: rag/);
    }
    const bad = await rag(dataDir, 'ask', 'x'.repeat(3000), '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^rag: input_invalid: the question is too long/);
    const nothing = await rag(dataDir, 'ingest');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to ingest/);
    const badFile = await rag(
      dataDir,
      'ingest',
      '--file',
      path.join(fixtures, 'bad-timing.srt'),
      '--video-id',
      'jNQXAC9IVRw',
    );
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toMatch(/failed .*bad-timing\.srt/);
  });
});

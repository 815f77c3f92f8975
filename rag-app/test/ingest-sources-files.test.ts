import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../src/ingest/files.ts';
import { collect, fixture as f } from './fixtures/ingest/support.ts';

describe('fileSource', () => {
  it('picks the parser by extension and the id from the file, its name, or fails saying how to give one', async () => {
    const paths = [
      'dQw4w9WgXcQ.vtt',
      'lecture.jNQXAC9IVRw.srt',
      'episode.json',
      'M7lc1UVf-VE.json',
      'sample.md',
      'talk.vtt',
      'bad-timing.srt',
      'notes.txt',
      'missing.srt',
    ].map(f);
    const items = await collect(fileSource(paths));
    expect(
      items.map((i) => (i.ok ? [i.transcript.source, i.transcript.videoId, i.transcript.title] : i.error)),
    ).toEqual([
      ['vtt', 'dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
      ['srt', 'jNQXAC9IVRw', 'lecture.jNQXAC9IVRw'],
      ['json', '9bZkp7q19f0', 'An episode in milliseconds'],
      ['json', 'M7lc1UVf-VE', 'M7lc1UVf-VE'],
      ['corpus', 'abcDEF12345', 'A "quoted" title: with a colon'],
      expect.stringMatching(
        /^talk\.vtt: no video id: pass one \(--video-id <id>\), add "videoId" to the JSON, or name the file <id>\.vtt/,
      ),
      "bad-timing.srt: line 6: expected a timing '00:00:01,000 --> 00:00:04,000', got '00:00:04 to 00:00:06'",
      "notes.txt: unsupported file type '.txt': expected .json, .vtt, .srt or .md",
      'missing.srt: cannot read: ENOENT',
    ]);
    expect(items.map((i) => i.ref)).toEqual(paths);

    const episode = items[2]!;
    expect(episode.ok && episode.transcript).toMatchObject({
      url: 'https://www.youtube.com/watch?v=9bZkp7q19f0',
      published: '2024-03-05',
      durationSec: null,
      segments: [
        { start: 0, end: 3.2, text: 'first line' },
        { start: 3.2, end: 6, text: 'second line' },
        { start: 6, end: 10, text: 'third line' },
      ],
    });
  });

  it('takes the id (or URL) and title from the options for a single file', async () => {
    const [item] = await collect(
      fileSource([f('talk.vtt')], { videoId: 'https://youtu.be/dQw4w9WgXcQ', title: '  My talk ' }),
    );
    expect(item).toMatchObject({
      ok: true,
      transcript: { videoId: 'dQw4w9WgXcQ', title: 'My talk', source: 'vtt', segments: expect.any(Array) },
    });
    // The option wins over the file's own id.
    const [json] = await collect(fileSource([f('episode.json')], { videoId: 'dQw4w9WgXcQ' }));
    expect(json?.ok && json.transcript.videoId).toBe('dQw4w9WgXcQ');
  });

  it('fails empty files as items', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'files-'));
    const empty = ['dQw4w9WgXcQ.srt', 'dQw4w9WgXcQ.vtt', 'dQw4w9WgXcQ.json'].map((name) =>
      path.join(dir, name),
    );
    writeFileSync(empty[0]!, '\ufeff');
    writeFileSync(empty[1]!, 'WEBVTT\r\n\r\n');
    writeFileSync(empty[2]!, '[]');
    const items = await collect(fileSource(empty));
    expect(items.map((i) => !i.ok && i.error)).toEqual([
      'dQw4w9WgXcQ.srt: no transcript text (no non-empty cues)',
      'dQw4w9WgXcQ.vtt: no transcript text (no non-empty cues)',
      'dQw4w9WgXcQ.json: no transcript text (no non-empty cues)',
    ]);
  });

  it('rejects options that cannot apply', async () => {
    await expect(
      collect(fileSource([f('talk.vtt'), f('no-id.srt')], { videoId: 'dQw4w9WgXcQ' })),
    ).rejects.toThrow(/apply to a single file/);
    await expect(collect(fileSource([f('talk.vtt')], { videoId: 'nope' }))).rejects.toThrow(/not a YouTube/);
  });
});

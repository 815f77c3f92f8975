import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusSource } from '../src/ingest/corpus.ts';
import type { Transcript } from '../src/types.ts';
import { collect } from './fixtures/ingest/support.ts';
import { mustHaveShared } from './support/stores.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedDir = process.env.SHARED_DIR ?? path.resolve(here, '../..', '../shared');
const corpusDir = path.join(sharedDir, 'corpus', 'cole-medin');

function expectWellFormed(t: Transcript): void {
  expect(t.segments.length).toBeGreaterThan(0);
  for (let i = 0; i < t.segments.length; i++) {
    const s = t.segments[i]!;
    expect(s.end).toBeGreaterThan(s.start);
    expect(s.text).toBe(s.text.replace(/\s+/g, ' ').trim());
    expect(s.text).not.toBe('');
    if (i > 0) expect(s.start).toBeGreaterThanOrEqual(t.segments[i - 1]!.end);
  }
}

// In CI the shared corpus must be there: a missing fixture fails instead of skipping.
describe.skipIf(!existsSync(corpusDir) && !mustHaveShared)('corpusSource over the real corpus', () => {
  it('parses all 198 files, timestamped ones segment for segment', async () => {
    const items = await collect(corpusSource(corpusDir));
    const failed = items.filter((i) => !i.ok);
    expect(failed).toEqual([]);
    const transcripts = items.flatMap((i) => (i.ok ? [i.transcript] : []));
    expect(transcripts).toHaveLength(198);
    expect(new Set(transcripts.map((t) => t.videoId)).size).toBe(198);

    // Expected counts straight from the raw files: one segment per `**[H:MM:SS]** text` line.
    const raw = new Map<string, string>();
    for (const name of readdirSync(corpusDir).filter((n) => n.endsWith('.md'))) {
      const text = readFileSync(path.join(corpusDir, name), 'utf8');
      raw.set(/^youtube_id: (\S+)$/m.exec(text)![1]!, text);
    }
    let timestamped = 0;
    let estimated = 0;
    const untimed: Transcript[] = [];
    for (const t of transcripts) {
      expectWellFormed(t);
      expect(t.source).toBe('corpus');
      expect(t.url).toBe(`https://www.youtube.com/watch?v=${t.videoId}`);
      const lines = raw.get(t.videoId)!.match(/^\*\*\[\d+:\d\d:\d\d\]\*\* \S/gm)?.length ?? 0;
      if (lines > 0) {
        expect(t.segments).toHaveLength(lines);
        timestamped += lines;
        if (t.durationSec !== null && t.durationSec > t.segments.at(-1)!.start) {
          expect(t.segments.at(-1)!.end).toBe(t.durationSec);
        }
      } else {
        untimed.push(t);
        estimated += t.segments.length;
      }
    }
    expect(timestamped).toBe(15_584);
    expect(untimed.map((t) => t.videoId).sort()).toEqual(['mNcXue7X8H0', 'yAFzPzpzJHU']);
    for (const t of untimed) {
      expect(t.segments[0]!.start).toBe(0);
      expect(t.durationSec).toBeNull();
      // About 15 s per estimated segment.
      const spans = t.segments.map((s) => s.end - s.start).sort((a, b) => a - b);
      expect(spans[Math.floor(spans.length / 2)]!).toBeGreaterThan(10);
      expect(spans[Math.floor(spans.length / 2)]!).toBeLessThan(20);
    }
    // 287 + 604 paragraphs of ~55 words: the total stays close to the corpus's 15,584.
    expect(estimated).toBe(891);
    expect(timestamped + estimated).toBe(16_475);

    const known = transcripts.find((t) => t.videoId === '21_k2St8bBI')!;
    expect(known).toMatchObject({
      title: 'The ONLY AI Tech Stack You Need in 2026',
      published: '2025-11-05',
      durationSec: 2066,
    });
    expect(known.segments[0]).toMatchObject({ start: 0, end: 28 });
    expect(known.segments[0]!.text).toMatch(/^At this point, I have basically already covered/);
  });
});

describe('corpusSource on a small directory', () => {
  it('uses the manifest for missing metadata and reports a bad file without stopping', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corpus-'));
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify([
        {
          slug: 'b-no-title',
          youtube_id: 'abcDEF12345',
          title: 'From the manifest',
          published: '2024-01-01',
        },
      ]),
    );
    writeFileSync(
      path.join(dir, 'a-broken.md'),
      '---\ntitle: "A"\nyoutube_id: abcDEF12399\n---\n## Transcript\n**[x]** a\n',
    );
    writeFileSync(
      path.join(dir, 'b-no-title.md'),
      '---\nduration: "0:00:20"\n---\n\n## Transcript\n\n**[0:00:00]** hi\n',
    );
    writeFileSync(path.join(dir, 'c-no-id.md'), '---\ntitle: "C"\n---\n## Transcript\n**[0:00:00]** c\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a transcript');

    const items = await collect(corpusSource(dir));
    expect(items.map((i) => [path.basename(i.ref), i.ok])).toEqual([
      ['a-broken.md', false],
      ['b-no-title.md', true],
      ['c-no-id.md', false],
    ]);
    expect(items[0]).toMatchObject({ error: expect.stringMatching(/^a-broken\.md: line 6: bad timestamp/) });
    expect(items[1]).toMatchObject({
      transcript: {
        videoId: 'abcDEF12345',
        title: 'From the manifest',
        published: '2024-01-01',
        durationSec: 20,
      },
    });
    expect(items[2]).toMatchObject({
      error: 'c-no-id.md: front matter: youtube_id: is missing',
    });
  });

  it('throws when the directory cannot be read', async () => {
    await expect(collect(corpusSource(path.join(tmpdir(), 'no-such-corpus-dir')))).rejects.toThrow(
      /cannot read corpus directory .*ENOENT/,
    );
  });
});

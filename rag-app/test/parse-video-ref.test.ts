import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { playlistPageUrl, scrapeVideoIds } from '../src/ingest/playlist.ts';
import {
  parseVideoList,
  parseVideoRef,
  readVideoList,
  videoIdFromFileName,
} from '../src/ingest/video-ref.ts';
import { extractInlineJson, parseWatchPageMeta } from '../src/ingest/youtube-page.ts';

describe('parseVideoRef', () => {
  it.each([
    ['dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['  a-B_c1234_Z  ', 'a-B_c1234_Z'],
    ['https://youtu.be/dQw4w9WgXcQ?t=42', 'dQw4w9WgXcQ'],
    ['youtu.be/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL123&t=5s', 'dQw4w9WgXcQ'],
    ['https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['www.youtube.com/shorts/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/embed/dQw4w9WgXcQ?start=3', 'dQw4w9WgXcQ'],
    ['https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/live/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
  ])('%s -> %s', (ref, id) => {
    expect(parseVideoRef(ref)).toBe(id);
  });

  it.each([
    ['dQw4w9WgXc', /no video id|not a YouTube/],
    ['https://vimeo.com/123456', /not a YouTube URL: .*host vimeo.com/],
    ['https://www.youtube.com/playlist?list=PL123', /no video id in/],
    ['https://www.youtube.com/watch?v=tooShort', /no video id in/],
    ['https://www.youtube.com/@ColeMedin', /no video id in/],
    ['not a video', /not a YouTube/],
  ])('rejects %s', (ref, message) => {
    expect(() => parseVideoRef(ref)).toThrow(message);
  });
});

describe('video lists', () => {
  it('keeps refs, skipping blanks and # comments but not URL fragments', () => {
    const text =
      '\ufeff# my list\r\ndQw4w9WgXcQ\r\n\r\n  https://youtu.be/9bZkp7q19f0#t=30  # gangnam\r\nbad line\n';
    expect(parseVideoList(text)).toEqual(['dQw4w9WgXcQ', 'https://youtu.be/9bZkp7q19f0#t=30', 'bad line']);
  });

  it('reads a list file, and names a missing one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'videolist-'));
    const file = path.join(dir, 'videos.txt');
    writeFileSync(file, 'dQw4w9WgXcQ\n# done\n');
    expect(await readVideoList(file)).toEqual(['dQw4w9WgXcQ']);
    await expect(readVideoList(path.join(dir, 'missing.txt'))).rejects.toThrow(
      /cannot read video list .*ENOENT/,
    );
  });
});

describe('videoIdFromFileName', () => {
  it.each([
    ['/tmp/dQw4w9WgXcQ.vtt', 'dQw4w9WgXcQ'],
    ['talk.dQw4w9WgXcQ.srt', 'dQw4w9WgXcQ'],
    ['Some Title [dQw4w9WgXcQ].en.vtt', 'dQw4w9WgXcQ'],
    ['talk.srt', null],
    ['dQw4w9WgXcQ-extra.vtt', null],
  ])('%s -> %s', (name, id) => {
    expect(videoIdFromFileName(name)).toBe(id);
  });
});

describe('watch and playlist pages', () => {
  it('reads title, date and length from the inline player response, even with braces in strings', () => {
    const player = {
      playabilityStatus: { status: 'OK' },
      videoDetails: { videoId: 'dQw4w9WgXcQ', title: 'Unbalanced } brace "quoted"', lengthSeconds: '212' },
      microformat: { playerMicroformatRenderer: { publishDate: '2009-10-24T23:57:33-07:00' } },
    };
    const html = `<html><title>ignored - YouTube</title><script>var ytInitialPlayerResponse = ${JSON.stringify(player)};var x = 1;</script>`;
    expect(extractInlineJson(html, 'ytInitialPlayerResponse')).toEqual(player);
    expect(parseWatchPageMeta(html)).toEqual({
      title: 'Unbalanced } brace "quoted"',
      published: '2009-10-24',
      durationSec: 212,
    });
  });

  it('falls back to the <title> tag, and ignores a bare "YouTube" title', () => {
    expect(parseWatchPageMeta('<title>Rock &amp; Roll - YouTube</title>')).toEqual({
      title: 'Rock & Roll',
      published: null,
      durationSec: null,
    });
    expect(parseWatchPageMeta('<title>YouTube</title>').title).toBeNull();
  });

  it('maps playlist and channel URLs to their listing page', () => {
    expect(playlistPageUrl('https://www.youtube.com/playlist?list=PLabc_123')).toBe(
      'https://www.youtube.com/playlist?list=PLabc_123',
    );
    expect(playlistPageUrl('youtube.com/watch?v=dQw4w9WgXcQ&list=PLx')).toBe(
      'https://www.youtube.com/playlist?list=PLx',
    );
    expect(playlistPageUrl('https://www.youtube.com/@ColeMedin')).toBe(
      'https://www.youtube.com/@ColeMedin/videos',
    );
    expect(playlistPageUrl('https://www.youtube.com/@ColeMedin/streams')).toBe(
      'https://www.youtube.com/@ColeMedin/streams',
    );
    expect(playlistPageUrl('https://youtube.com/channel/UCabc')).toBe(
      'https://www.youtube.com/channel/UCabc/videos',
    );
    expect(() => playlistPageUrl('https://www.youtube.com/watch?v=dQw4w9WgXcQ')).toThrow(/not a playlist/);
    expect(() => playlistPageUrl('https://www.youtube.com/@ColeMedin/community')).toThrow(/not a playlist/);
    expect(() => playlistPageUrl('https://example.com/playlist?list=PL1')).toThrow(/not a youtube.com/);
  });

  it('scrapes distinct video ids in order', () => {
    const html =
      '{"videoId":"dQw4w9WgXcQ"},{"videoId":"9bZkp7q19f0"},{"videoId":"dQw4w9WgXcQ"},{"videoId":"short"}';
    expect(scrapeVideoIds(html)).toEqual(['dQw4w9WgXcQ', '9bZkp7q19f0']);
  });
});

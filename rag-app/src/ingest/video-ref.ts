import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { splitLines } from './text.ts';

/** YouTube video ids are 11 characters of the URL-safe base64 alphabet. */
export const VIDEO_ID_RE = /^[A-Za-z0-9_-]{11}$/;

export function isVideoId(s: string): boolean {
  return VIDEO_ID_RE.test(s);
}

const YOUTUBE_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);

/** Path prefixes whose next segment is the video id. */
const ID_PATH_PREFIXES = new Set(['shorts', 'embed', 'live', 'v', 'e']);

/**
 * The video id in a reference: a bare id, or a youtu.be, watch?v=, shorts, embed or live URL.
 * Throws InputError for anything else (playlists and channels are not single videos).
 */
export function parseVideoRef(ref: string): string {
  const s = ref.trim();
  if (isVideoId(s)) return s;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`);
  } catch {
    throw new InputError(`not a YouTube video id or URL: '${ref}'`, { ref });
  }
  const host = url.hostname.toLowerCase();
  const parts = url.pathname.split('/').filter(Boolean);
  let id: string | null | undefined = null;
  if (host === 'youtu.be' || host === 'www.youtu.be') id = parts[0];
  else if (YOUTUBE_HOSTS.has(host)) {
    if (parts[0] === 'watch') id = url.searchParams.get('v');
    else if (parts[0] !== undefined && ID_PATH_PREFIXES.has(parts[0])) id = parts[1];
  } else {
    throw new InputError(`not a YouTube URL: '${ref}' (host ${host})`, { ref });
  }
  if (id && isVideoId(id)) return id;
  throw new InputError(
    `no video id in '${ref}': expected an 11-character id or a youtu.be, watch?v=, shorts or embed URL`,
    { ref },
  );
}

/**
 * Parses a video list: one id or URL a line; blank lines and `#` comments (a whole line, or after
 * whitespace, so that `#t=30` fragments in URLs survive) are ignored. Returns the refs as written:
 * `youtubeSource` validates each, so one bad line becomes one failed item rather than a failed run.
 */
export function parseVideoList(text: string): string[] {
  const refs: string[] = [];
  for (const line of splitLines(text)) {
    const ref = line.replace(/(^|\s)#.*$/, '').trim();
    if (ref !== '') refs.push(ref);
  }
  return refs;
}

export async function readVideoList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read video list ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      path,
    });
  }
  return parseVideoList(text);
}

/**
 * A video id found in a caption file's name: the whole stem (`<id>.vtt`), its last dot-separated
 * part (`talk.<id>.srt`), or yt-dlp's bracketed id (`Title [<id>].en.vtt`). Null when none.
 */
export function videoIdFromFileName(fileName: string): string | null {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  if (isVideoId(stem)) return stem;
  const last = stem.split('.').pop() ?? '';
  if (isVideoId(last)) return last;
  const bracketed = /\[([A-Za-z0-9_-]{11})\]/.exec(stem);
  return bracketed ? bracketed[1]! : null;
}

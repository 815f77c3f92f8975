import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Rag } from '../rag.ts';
import type { SourceKind } from '../types.ts';
import { SyncError } from './errors.ts';

export interface SyncPlan {
  /** Refs for the YouTube source: video ids, urls, or anything else it accepts. */
  refs: string[];
  /** Directories of transcript files (the shared corpus format). */
  dirs: string[];
  /** When set, only items for these video ids are ingested (re-syncing one video of a directory). */
  only?: string[];
}

export function emptyPlan(): SyncPlan {
  return { refs: [], dirs: [] };
}

function kindOf(p: string): 'dir' | 'file' | null {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/**
 * SYNC_SOURCES: comma-separated entries, each a video id or url, a directory of transcripts, or a
 * list file with one id/url per line (blank lines and `#` comments ignored).
 */
export function parseSyncSources(spec: string | undefined, cwd = process.cwd()): SyncPlan {
  const plan = emptyPlan();
  for (const raw of (spec ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const resolved = path.resolve(cwd, entry);
    const kind = /^https?:\/\//i.test(entry) ? null : kindOf(resolved);
    if (kind === 'dir') plan.dirs.push(resolved);
    else if (kind === 'file') {
      for (const line of readFileSync(resolved, 'utf8').split('\n')) {
        const ref = line.replace(/#.*$/, '').trim();
        if (ref) plan.refs.push(ref);
      }
    } else plan.refs.push(entry);
  }
  return { refs: [...new Set(plan.refs)], dirs: [...new Set(plan.dirs)] };
}

export function mergePlans(...plans: SyncPlan[]): SyncPlan {
  return {
    refs: [...new Set(plans.flatMap((p) => p.refs))],
    dirs: [...new Set(plans.flatMap((p) => p.dirs))],
  };
}

/** Every video that came from YouTube, so "re-sync all" refreshes them too. */
async function youtubeVideoIds(rag: Pick<Rag, 'listVideos'>): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await rag.listVideos({ limit: 500, offset });
    ids.push(...page.videos.filter((v) => v.source === 'youtube').map((v) => v.videoId));
    if (page.videos.length < 500) return ids;
  }
}

/** "Re-sync all": SYNC_SOURCES, the corpus directory when there is one, and every video that came from YouTube. */
export async function everythingPlan(
  rag: Pick<Rag, 'listVideos'>,
  syncSources: string | undefined,
  corpusDir: string | null,
  cwd: string,
): Promise<SyncPlan> {
  return mergePlans(
    parseSyncSources(syncSources, cwd),
    { refs: [], dirs: corpusDir ? [corpusDir] : [] },
    { refs: await youtubeVideoIds(rag), dirs: [] },
  );
}

/**
 * Re-syncing one video: from YouTube again, or from the corpus directory it came from. A video
 * from a file the server cannot read again is `cannot_resync`.
 */
export function resyncPlan(
  video: { videoId: string; source: SourceKind },
  corpusDir: string | null,
): SyncPlan {
  if (video.source === 'youtube') return { ...emptyPlan(), refs: [video.videoId] };
  if (video.source === 'corpus' && corpusDir) return { refs: [], dirs: [corpusDir], only: [video.videoId] };
  throw new SyncError(
    'cannot_resync',
    `video ${video.videoId} came from a ${video.source} file, which the server cannot fetch again; re-ingest it with the CLI`,
  );
}

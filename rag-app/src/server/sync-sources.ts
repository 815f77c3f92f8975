import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

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

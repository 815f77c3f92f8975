import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a model-supplied path lands. `rel` is the path as written, normalised (posix, relative to
 * the worktree root, `.` for the root); `realRel` is where it really lands once symlinks are
 * followed. Guards check both, so a symlink inside the worktree cannot smuggle a write into a
 * protected file.
 */
export type ResolvedPath =
  | { ok: true; abs: string; rel: string; realRel: string }
  | { ok: false; reason: string };

/** How many symlinks one path may pass through before it is refused (the kernel's limit is 40). */
const MAX_LINKS = 40;

/** True when `rel` (posix, relative) names `.git` or something inside it, at any depth. */
function touchesGit(rel: string): boolean {
  return rel.split('/').some((segment) => segment.toLowerCase() === '.git');
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toRel(root: string, abs: string): string {
  const rel = path.relative(root, abs).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

/**
 * The real location of `abs`: realpath of the path itself when it exists, else realpath of its
 * nearest existing parent joined with the rest. A dangling symlink is followed to its target (it
 * would be created by a write there); `null` when there are too many links.
 */
async function realLocation(abs: string, depth = 0): Promise<string | null> {
  if (depth > MAX_LINKS) return null;
  try {
    return await realpath(abs);
  } catch {
    // Does not exist (or is a dangling link): look at the entry itself, then at its parent.
  }
  try {
    const stat = await lstat(abs);
    if (stat.isSymbolicLink()) {
      const target = await readlink(abs);
      return realLocation(path.resolve(path.dirname(abs), target), depth + 1);
    }
  } catch {
    // No such entry: fall through to the parent.
  }
  const parent = path.dirname(abs);
  if (parent === abs) return abs;
  const realParent = await realLocation(parent, depth + 1);
  return realParent === null ? null : path.join(realParent, path.basename(abs));
}

/**
 * Resolves a path the model gave, relative to the worktree root. Refused: empty or NUL-bearing
 * paths, absolute paths, `..` escapes, anything inside `.git`, and any path whose real location
 * (after symlinks, of itself or of its nearest existing parent) leaves the worktree.
 */
export async function resolveInWorktree(root: string, relPath: string): Promise<ResolvedPath> {
  const shown = relPath.length > 200 ? `${relPath.slice(0, 200)}…` : relPath;
  if (relPath.includes('\0')) return { ok: false, reason: 'refused: the path contains a NUL character' };
  const trimmed = relPath.trim();
  if (path.isAbsolute(trimmed) || /^[a-zA-Z]:[\\/]/.test(trimmed) || trimmed.startsWith('~')) {
    return {
      ok: false,
      reason: `refused: ${shown} is an absolute path (paths are relative to the worktree root)`,
    };
  }
  const normal = path.posix.normalize(trimmed === '' ? '.' : trimmed.replaceAll('\\', '/'));
  const rel = normal.replace(/\/+$/, '') || '.';
  if (rel === '..' || rel.startsWith('../')) {
    return { ok: false, reason: `refused: ${shown} is outside the worktree` };
  }
  if (touchesGit(rel)) return { ok: false, reason: `refused: ${shown} is inside .git` };

  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    return { ok: false, reason: `error: the worktree ${root} is not readable (${(err as Error).message})` };
  }
  const abs = path.join(realRoot, rel);
  const real = await realLocation(abs);
  if (real === null) return { ok: false, reason: `refused: ${shown} passes through too many symlinks` };
  if (!isInside(realRoot, real)) {
    return { ok: false, reason: `refused: ${shown} resolves outside the worktree (symlink)` };
  }
  const realRel = toRel(realRoot, real);
  if (touchesGit(realRel)) return { ok: false, reason: `refused: ${shown} resolves inside .git (symlink)` };
  return { ok: true, abs, rel, realRel };
}

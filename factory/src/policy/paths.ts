import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { DiffFile } from '../workspace/types.ts';
import type { Policy } from './schema.ts';

/**
 * Which repository paths the factory may change, decided from the policy's globs alone (pure: no
 * file system). Paths are relative to the repository root, POSIX-style. Precedence:
 * 1. a path outside the repository (`..`, absolute) is never writable;
 * 2. an `appendOnly` path may be modified (lines appended, checked by `checkAppendOnly`), even when
 *    a protected glob also matches it, but never added, deleted or renamed;
 * 3. a lockfile is refused unless `allowDependencyChanges` (then it is writable);
 * 4. a `protected` path is refused;
 * 5. anything else must match a `writable` glob.
 */

export type ViolationRule = 'protected' | 'not_writable' | 'lockfile';

export interface Violation {
  path: string;
  rule: ViolationRule;
  /** One line, e.g. `evals/gate.json is protected` (the tools prefix it with `refused: `). */
  message: string;
}

export type WriteDecision =
  | { allowed: true; path: string; appendOnly: boolean }
  | { allowed: false; path: string; rule: ViolationRule; message: string };

type Matcher = (path: string) => boolean;

interface Matchers {
  writable: Matcher;
  protected: Matcher;
  lockfile: Matcher;
  appendOnly: Matcher;
}

const cache = new WeakMap<Policy, Matchers>();

function matcher(globs: readonly string[]): Matcher {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], { dot: true });
}

function matchers(policy: Policy): Matchers {
  let found = cache.get(policy);
  if (!found) {
    found = {
      writable: matcher(policy.writable),
      protected: matcher(policy.protected),
      lockfile: matcher(policy.lockfiles),
      appendOnly: matcher(policy.appendOnly),
    };
    cache.set(policy, found);
  }
  return found;
}

/** `./a//b/../c` → `a/c`; undefined when the path leaves the repository or names its root. */
export function normalizeRepoPath(path: string): string | undefined {
  if (path === '' || path.includes('\0') || posix.isAbsolute(path)) return undefined;
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '.' || normal === '' || normal === '..' || normal.startsWith('../')) return undefined;
  return normal;
}

export function isLockfile(policy: Policy, path: string): boolean {
  const normal = normalizeRepoPath(path);
  return normal !== undefined && matchers(policy).lockfile(normal);
}

export function isAppendOnly(policy: Policy, path: string): boolean {
  const normal = normalizeRepoPath(path);
  return normal !== undefined && matchers(policy).appendOnly(normal);
}

/** A `protected` glob matches, or it is a lockfile and dependency changes are not allowed. Outside the repository counts as protected. */
export function isProtected(policy: Policy, path: string): boolean {
  const normal = normalizeRepoPath(path);
  if (normal === undefined) return true;
  const m = matchers(policy);
  return m.protected(normal) || (!policy.allowDependencyChanges && m.lockfile(normal));
}

/** A `writable` glob matches (or it is a lockfile and dependency changes are allowed). Does not look at `protected`: see `decideWrite`. */
export function isWritable(policy: Policy, path: string): boolean {
  const normal = normalizeRepoPath(path);
  if (normal === undefined) return false;
  const m = matchers(policy);
  return m.writable(normal) || (policy.allowDependencyChanges && m.lockfile(normal));
}

/**
 * May the factory write this path at all? The one decision the agent's tools and the merge check
 * share. An allowed append-only path still needs `checkAppendOnly` on its content.
 */
export function decideWrite(policy: Policy, path: string): WriteDecision {
  const normal = normalizeRepoPath(path);
  if (normal === undefined) {
    return { allowed: false, path, rule: 'not_writable', message: `${path} is outside the repository` };
  }
  const m = matchers(policy);
  if (m.appendOnly(normal)) return { allowed: true, path: normal, appendOnly: true };
  if (m.lockfile(normal)) {
    if (!policy.allowDependencyChanges) {
      return {
        allowed: false,
        path: normal,
        rule: 'lockfile',
        message: `${normal} is a lockfile (dependency changes are not allowed)`,
      };
    }
    if (!m.protected(normal)) return { allowed: true, path: normal, appendOnly: false };
  }
  if (m.protected(normal)) {
    return { allowed: false, path: normal, rule: 'protected', message: `${normal} is protected` };
  }
  if (!m.writable(normal)) {
    return {
      allowed: false,
      path: normal,
      rule: 'not_writable',
      message: `${normal} is not writable (writable: ${policy.writable.join(', ')})`,
    };
  }
  return { allowed: true, path: normal, appendOnly: false };
}

/**
 * Every rule a diff breaks, one violation per path (a rename is checked at its old and its new
 * path). An append-only file may only appear as `modified` text; its content is checked apart.
 */
export function checkChangedPaths(policy: Policy, files: readonly DiffFile[]): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const add = (violation: Violation) => {
    if (seen.has(violation.path)) return;
    seen.add(violation.path);
    violations.push(violation);
  };
  for (const file of files) {
    const touched = file.status === 'renamed' && file.oldPath ? [file.oldPath, file.path] : [file.path];
    for (const path of touched) {
      const decision = decideWrite(policy, path);
      if (!decision.allowed) {
        add({ path: decision.path, rule: decision.rule, message: decision.message });
      } else if (decision.appendOnly && (file.status !== 'modified' || file.binary)) {
        const what = file.binary ? 'changed as a binary file' : file.status;
        add({
          path: decision.path,
          rule: 'protected',
          message: `${decision.path} is append-only: lines may be appended, but it was ${what}`,
        });
      }
    }
  }
  return violations;
}

export interface AppendOnlyCheck {
  ok: boolean;
  /** Set when not ok: what was wrong, in one line. */
  reason?: string;
}

/**
 * `after` must be `before` followed by whole lines: nothing before the end is changed, the last
 * line is not extended, and every added line ends with a newline.
 */
export function checkAppendOnly(before: string, after: string): AppendOnlyCheck {
  if (!after.startsWith(before)) {
    let at = 0;
    while (at < before.length && at < after.length && before[at] === after[at]) at++;
    const line = before.slice(0, at).split('\n').length;
    return {
      ok: false,
      reason:
        after.length < before.length && before.startsWith(after)
          ? `content was removed (from line ${line})`
          : `existing content was changed at line ${line}`,
    };
  }
  let added = after.slice(before.length);
  if (added === '') return { ok: true };
  if (before !== '' && !before.endsWith('\n')) {
    // The old last line had no newline: the addition must end it before adding lines.
    if (!added.startsWith('\n')) return { ok: false, reason: 'the last existing line was extended' };
    added = added.slice(1);
    if (added === '') return { ok: true };
  }
  if (!added.endsWith('\n')) return { ok: false, reason: 'the last added line does not end with a newline' };
  return { ok: true };
}

export interface DiffFile {
  path: string;
  /** For renames: where the file came from. */
  oldPath?: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  added: number;
  deleted: number;
  binary: boolean;
}

/** The change a run made, against the base commit (untracked files included). */
export interface DiffSummary {
  baseSha: string;
  files: DiffFile[];
  /** added + deleted over all files */
  changedLines: number;
  /** unified diff text (for the review and the PR) */
  patch: string;
}

export interface Worktree {
  /** Absolute path of the worktree root. */
  dir: string;
  branch: string;
  baseSha: string;
}

/** Author and committer of the factory's commits. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  dir: string;
  head: string | null;
  /** Short branch name, or null for a detached HEAD or a bare repository. */
  branch: string | null;
  bare: boolean;
  /** Git's own word that the directory is gone. */
  prunable: boolean;
}

/** How a worktree got its node_modules. */
export interface InstallResult {
  status: 'installed' | 'skipped';
  /** Why nothing was installed (no lockfile). */
  reason?: string;
  /** The worktree's pnpm-lock.yaml is byte-identical to the source repository's. */
  lockfileMatches: boolean;
  argv: string[];
  durationMs: number;
}

/** The "no test deleted, no assertion lost" check over the test files a diff touches. */
export interface TestIntegrity {
  /** Test files deleted (or renamed to a non-test path). */
  deletedTests: string[];
  assertionsBefore: number;
  assertionsAfter: number;
  /** `.skip(`, `.only(`, `.todo(`, `.skipIf(`, `xit(`… markers (an `.only` silences the rest of a file). */
  skipMarkersBefore: number;
  skipMarkersAfter: number;
  /** Test files whose assertion count went down, with both counts. */
  lostAssertions: { path: string; before: number; after: number }[];
  ok: boolean;
}

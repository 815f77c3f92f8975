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

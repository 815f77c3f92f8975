export { commitAll, hasStagedChanges } from './commit.ts';
export { diffAgainstBase, diffFiles, parseNameStatus, parseNumstat } from './diff.ts';
export {
  conflictedPaths,
  currentBranch,
  dirtyPaths,
  FACTORY_IDENTITY,
  type GitOptions,
  type GitResult,
  git,
  hasRemote,
  isAncestor,
  isClean,
  repoTopLevel,
  revParse,
  tryRevParse,
} from './git.ts';
export { type InstallOptions, installDependencies, installEnv } from './install.ts';
export {
  baseMoved,
  type RevertOptions,
  RUN_TRAILER,
  revertCommit,
  type SquashMergeOptions,
  squashMergeLocal,
  type UpdateBranchResult,
  updateBranch,
  withTrailers,
} from './merge.ts';
export { deleteRemoteBranch, fetchBase, pushBranch, type RemoteOptions } from './remote.ts';
export {
  checkTestIntegrity,
  codeOnly,
  collectTestTexts,
  countAssertions,
  countSkipMarkers,
  isTestFile,
  readAtRef,
  TEST_FILE_GLOBS,
  touchedTests,
} from './tests-guard.ts';
export type * from './types.ts';
export {
  branchName,
  deleteBranch,
  listWorktrees,
  type OpenedWorktree,
  type OpenWorktreeOptions,
  openWorktree,
  parseWorktreeList,
  removeWorktree,
  slugify,
  worktreeOfBranch,
} from './worktree.ts';

import { z } from 'zod';

const Timestamp = z.iso.datetime({ offset: true });
const ItemNumber = z.number().int().positive();
const Label = z.string().trim().min(1, 'label must not be empty').max(50, 'label is at most 50 characters');
/** A user name as a forge records it: a GitHub login, or on the local forge any name without spaces (`alice`, `web:42`). */
const Login = z
  .string()
  .trim()
  .min(1, 'login must not be empty')
  .max(100, 'login is at most 100 characters')
  .refine((s) => !/[\s\p{Cc}]/u.test(s), 'login must not contain spaces or control characters');
/** A full commit id (SHA-1, or SHA-256 for repositories using it). */
const CommitSha = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i, 'expected a full commit sha (40 or 64 hex digits)');

// Schemas of what a forge returns.

export const IssueStateSchema = z.enum(['open', 'closed']);
export type IssueState = z.infer<typeof IssueStateSchema>;

export const IssueSchema = z.object({
  number: ItemNumber,
  title: z.string(),
  body: z.string(),
  state: IssueStateSchema,
  labels: z.array(z.string()),
  /** Web address on GitHub; `forge://local/issues/<n>` for the local forge. */
  url: z.string(),
  author: z.string().optional(),
  /** GitHub only: the author is a bot account (`user.type === 'Bot'`, e.g. an app's `name[bot]`). */
  authorIsBot: z.boolean().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Timestamp.optional(),
  /** Local forge only: absolute path of the file that holds the issue. */
  path: z.string().optional(),
});
export type Issue = z.infer<typeof IssueSchema>;

export const CommentSchema = z.object({
  id: z.number().int().positive(),
  body: z.string(),
  author: z.string().optional(),
  /** GitHub only: the author is a bot account (`user.type === 'Bot'`). */
  authorIsBot: z.boolean().optional(),
  createdAt: Timestamp,
  url: z.string(),
});
export type Comment = z.infer<typeof CommentSchema>;

/** A comment with the issue or pull request it is on, as a repository-wide listing returns it. */
export const IssueCommentSchema = CommentSchema.extend({
  /** The issue's or pull request's number. */
  issue: ItemNumber,
  updatedAt: Timestamp,
});
export type IssueComment = z.infer<typeof IssueCommentSchema>;

export const PullRequestStateSchema = z.enum(['open', 'closed', 'merged']);
export type PullRequestState = z.infer<typeof PullRequestStateSchema>;

export const PullRequestSchema = z.object({
  number: ItemNumber,
  url: z.string(),
  state: PullRequestStateSchema,
  head: z.string(),
  base: z.string(),
  title: z.string(),
  body: z.string(),
  author: z.string().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  mergedAt: Timestamp.optional(),
  /** The commit the merge made on the base branch, once merged (locally: the one the caller reported). */
  mergeCommitSha: z.string().optional(),
  /** GitHub only: the head branch's commit as GitHub sees it (what checks and statuses are attached to). */
  headSha: z.string().optional(),
  /**
   * GitHub only: whether GitHub can merge it (null while GitHub is still computing), and why not:
   * `clean`, `unstable` (non-required checks failing), `blocked` (branch protection), `behind`,
   * `dirty` (conflicts), `draft`, `unknown`, `has_hooks`.
   */
  mergeable: z.boolean().nullable().optional(),
  mergeableState: z.string().optional(),
  path: z.string().optional(),
});
export type PullRequest = z.infer<typeof PullRequestSchema>;

/**
 * One check on a commit: a GitHub check run (Actions jobs are these) or a commit status, by name.
 * `pending` = queued or in progress; `failure` covers error, cancelled, timed out, action required
 * and stale; `neutral` and `skipped` do not block a merge on GitHub.
 */
export const CheckStateSchema = z.enum(['pending', 'success', 'failure', 'neutral', 'skipped']);
export type CheckState = z.infer<typeof CheckStateSchema>;

export const CommitCheckSchema = z.object({
  /** The check run's name or the status's context, as branch protection names required checks. */
  name: z.string().min(1),
  state: CheckStateSchema,
  source: z.enum(['check_run', 'status']),
  /** GitHub's own word (conclusion or status state), e.g. `timed_out`, `cancelled`, `in_progress`. */
  detail: z.string().optional(),
  url: z.string().optional(),
});
export type CommitCheck = z.infer<typeof CommitCheckSchema>;

export const BranchProtectionSchema = z.object({
  branch: z.string(),
  /** Classic branch protection or a ruleset applies to the branch. */
  protected: z.boolean(),
  /** Check names that must succeed on a PR's head before it may merge (protection and rulesets together). */
  requiredChecks: z.array(z.string()),
  /** The head must be up to date with the branch before merging. */
  strict: z.boolean(),
  /** Approving reviews required (from rulesets; null when the forge cannot tell, e.g. classic protection read without admin rights). */
  requiredApprovingReviews: z.number().int().nonnegative().nullable(),
});
export type BranchProtection = z.infer<typeof BranchProtectionSchema>;

export const CommitStatusInputSchema = z.object({
  context: z
    .string()
    .trim()
    .min(1, 'context must not be empty')
    .max(255, 'context is at most 255 characters'),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  description: z.string().max(140, 'description is at most 140 characters').optional(),
  targetUrl: z.url().optional(),
});
export type CommitStatusInput = z.input<typeof CommitStatusInputSchema>;

export const CommitRefSchema = z
  .string()
  .trim()
  .min(1, 'ref must not be empty')
  .refine((s) => !/[\s~^?*[\\]|\.\.|@\{/.test(s), 'not a valid commit sha or ref');
export const CommitShaSchema = CommitSha;

// Schemas of what callers pass in (limits follow GitHub's, so both forges refuse the same input).

export const ItemNumberSchema = ItemNumber;

export const CreateIssueInputSchema = z.object({
  title: z.string().trim().min(1, 'title must not be empty').max(256, 'title is at most 256 characters'),
  body: z.string().max(65_536, 'body is at most 65536 characters').default(''),
  labels: z.array(Label).optional(),
  /**
   * Local forge only: who files the issue (e.g. `web:42` for a rag-app reporter), else the forge's
   * `author` option. GitHub ignores it: the token's user is the author there.
   */
  author: Login.optional(),
});
export type CreateIssueInput = z.input<typeof CreateIssueInputSchema>;

export const ListIssuesQuerySchema = z.object({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  /** Only issues carrying every one of these labels (case-insensitive), as GitHub does. */
  labels: z.array(Label).optional(),
});
export type ListIssuesQuery = z.input<typeof ListIssuesQuerySchema>;

export const CommentBodySchema = z
  .string()
  .refine((s) => s.trim().length > 0, 'comment must not be empty')
  .refine((s) => s.length <= 65_536, 'comment is at most 65536 characters');

export const LabelsSchema = z.array(Label).min(1, 'give at least one label');
export const LabelSchema = Label;
export const LoginSchema = Login;

export const ChangesQuerySchema = z.object({
  /** Only what was updated at or after this instant. */
  since: Timestamp.optional(),
  /** The `etag` of the previous answer to the same query: an unchanged answer is then cheap. */
  etag: z
    .string()
    .trim()
    .min(1, 'etag must not be empty')
    .max(500, 'etag is at most 500 characters')
    .optional(),
});
export type ChangesQuery = z.input<typeof ChangesQuerySchema>;

export const IssueChangesQuerySchema = ChangesQuerySchema.extend({
  state: z.enum(['open', 'closed', 'all']).default('all'),
});
export type IssueChangesQuery = z.input<typeof IssueChangesQuerySchema>;

/**
 * The answer to a conditional listing: `changed: false` when nothing differs from the answer whose
 * `etag` was given (nothing was transferred), else the items and the etag to send next time.
 */
export type Changes<T> =
  | { changed: false; etag: string }
  | { changed: true; etag: string | undefined; items: T[] };

/** A user's access to the repository, GitHub's role names from most to least. */
export const PermissionSchema = z.enum(['admin', 'maintain', 'write', 'triage', 'read', 'none']);
export type Permission = z.infer<typeof PermissionSchema>;

const BranchName = z
  .string()
  .trim()
  .min(1, 'branch must not be empty')
  .refine((s) => !/[\s~^?*[\\]|\.\.|@\{/.test(s), 'not a valid branch name');

export const BranchSchema = BranchName;

export const CreatePullRequestInputSchema = z
  .object({
    title: z.string().trim().min(1, 'title must not be empty').max(256, 'title is at most 256 characters'),
    body: z.string().max(65_536, 'body is at most 65536 characters').default(''),
    head: BranchName,
    base: BranchName,
  })
  .refine((pr) => pr.head !== pr.base, { message: 'head and base must differ', path: ['head'] });
export type CreatePullRequestInput = z.input<typeof CreatePullRequestInputSchema>;

export const ListPullRequestsQuerySchema = z.object({
  state: z.enum(['open', 'closed', 'merged', 'all']).default('open'),
});
export type ListPullRequestsQuery = z.input<typeof ListPullRequestsQuerySchema>;

export const MergeOptionsSchema = z.object({
  method: z.enum(['merge', 'squash', 'rebase']).default('merge'),
  /** Title of the merge or squash commit (GitHub's default when omitted). */
  commitTitle: z
    .string()
    .trim()
    .min(1, 'commit title must not be empty')
    .max(256, 'commit title is at most 256 characters')
    .optional(),
  /** Body of the merge or squash commit. */
  commitMessage: z.string().max(65_536, 'commit message is at most 65536 characters').optional(),
  /** The head commit the caller validated: the merge is refused (`conflict`) if the branch moved since. */
  sha: CommitSha.optional(),
  /**
   * Local forge only: the commit the caller made on the base branch (the local forge does not run git).
   * GitHub ignores it and reports the commit it made.
   */
  mergeCommitSha: CommitSha.optional(),
});
export type MergeOptions = z.input<typeof MergeOptionsSchema>;

/**
 * Issues and pull requests, wherever they live. Issues and pull requests share one number space
 * (as on GitHub), so `listComments` works for either; the other issue calls refuse a PR number on
 * the local forge. Every failure is a ForgeError.
 */
export interface Forge {
  readonly kind: 'local' | 'github';
  createIssue(input: CreateIssueInput): Promise<Issue>;
  getIssue(number: number): Promise<Issue>;
  /** Newest first. Pull requests are never included. */
  listIssues(query?: ListIssuesQuery): Promise<Issue[]>;
  commentOnIssue(number: number, body: string): Promise<Comment>;
  /** Oldest first; works for issues and pull requests. */
  listComments(number: number): Promise<Comment[]>;
  /** Closes the issue, first posting `comment` if given. Closing a closed issue is a no-op. */
  closeIssue(number: number, comment?: string): Promise<Issue>;
  /** Reopens the issue, first posting `comment` if given. Reopening an open issue is a no-op. */
  reopenIssue(number: number, comment?: string): Promise<Issue>;
  /** Adds labels (keeping existing ones) and returns all labels now on the issue. */
  addLabels(number: number, labels: string[]): Promise<string[]>;
  /**
   * Removes one label (case-insensitively) and returns the labels now on the issue. Removing a
   * label the issue does not carry is a no-op.
   */
  removeLabel(number: number, label: string): Promise<string[]>;
  createPullRequest(input: CreatePullRequestInput): Promise<PullRequest>;
  getPullRequest(number: number): Promise<PullRequest>;
  /** Newest first. `closed` means closed without merging. */
  listPullRequests(query?: ListPullRequestsQuery): Promise<PullRequest[]>;
  commentOnPullRequest(number: number, body: string): Promise<Comment>;
  /**
   * Merges an open pull request; a closed or already merged one gives `conflict`, and so does a
   * head that is no longer `options.sha`.
   */
  mergePullRequest(number: number, options?: MergeOptions): Promise<PullRequest>;
  /**
   * Closes a pull request without merging, first posting `comment` if given. Closing a closed or
   * merged pull request is a no-op.
   */
  closePullRequest(number: number, comment?: string): Promise<PullRequest>;
  /**
   * Issues (`state`: open, closed or all, the default; never pull requests) updated at or after
   * `since`, oldest update first.
   * Conditional: given the previous answer's `etag`, an unchanged listing is `{ changed: false }` —
   * on GitHub a 304, which does not count against the rate limit; locally a stat of the files.
   */
  listIssueChanges(query?: IssueChangesQuery): Promise<Changes<Issue>>;
  /** Comments on issues and pull requests updated at or after `since`, oldest first; conditional as above. */
  listCommentChanges(query?: ChangesQuery): Promise<Changes<IssueComment>>;
  /** The user's access to the repository; `none` for someone who has none (or is unknown). */
  getPermission(login: string): Promise<Permission>;
  /**
   * The checks reported on a commit (`ref`: a sha, or a branch name): check runs and commit
   * statuses, one entry per name (the newest wins), sorted by name.
   */
  listCommitChecks(ref: string): Promise<CommitCheck[]>;
  /** Reports a commit status (`context`) on `sha`; a later status of the same context replaces it. */
  setCommitStatus(sha: string, status: CommitStatusInput): Promise<void>;
  /**
   * What the branch requires before a merge: its required checks and whether it is protected. An
   * unprotected branch gives `protected: false` and no required checks.
   */
  getBranchProtection(branch: string): Promise<BranchProtection>;
  /**
   * The login this forge acts as, i.e. the author of what it writes (so that callers can tell
   * their own comments); undefined when it cannot tell (a GitHub token that may not read its user,
   * such as an app installation token, or a local forge without an `author`).
   */
  viewer(): Promise<string | undefined>;
}

import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { checkNumber, ForgeError, type ForgeErrorCode, optionalComment, parseInput } from './errors.ts';
import { defaultForgeLogger, type Logger } from './log.ts';
import {
  type BranchProtection,
  BranchProtectionSchema,
  BranchSchema,
  type Changes,
  type ChangesQuery,
  ChangesQuerySchema,
  type CheckState,
  type Comment,
  CommentBodySchema,
  CommentSchema,
  type CommitCheck,
  CommitCheckSchema,
  CommitRefSchema,
  CommitShaSchema,
  type CommitStatusInput,
  CommitStatusInputSchema,
  type CreateIssueInput,
  CreateIssueInputSchema,
  type CreatePullRequestInput,
  CreatePullRequestInputSchema,
  type Forge,
  type Issue,
  type IssueChangesQuery,
  IssueChangesQuerySchema,
  type IssueComment,
  IssueCommentSchema,
  IssueSchema,
  LabelSchema,
  LabelsSchema,
  type ListIssuesQuery,
  ListIssuesQuerySchema,
  type ListPullRequestsQuery,
  ListPullRequestsQuerySchema,
  LoginSchema,
  type MergeOptions,
  MergeOptionsSchema,
  type Permission,
  PermissionSchema,
  type PullRequest,
  PullRequestSchema,
} from './types.ts';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export const GitHubRepositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected "owner/repo"')
  .transform((s) => {
    const [owner, repo] = s.split('/') as [string, string];
    return { owner, repo };
  });

export interface GitHubForgeOptions {
  token: string;
  /** `owner/repo`, as in GITHUB_REPOSITORY. */
  repository: string;
  /** REST root; `https://<host>/api/v3` for GitHub Enterprise. Default https://api.github.com. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  userAgent?: string;
  logger?: Logger;
}

/** The subset of GitHub's payloads we read; validated so a surprising server fails loudly, not later. */
const UserSchema = z.object({ login: z.string(), type: z.string().optional() }).nullish();
const GhLabelSchema = z.union([z.string(), z.object({ name: z.string().nullish() })]);
const GhIssueSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  labels: z.array(GhLabelSchema),
  html_url: z.string(),
  user: UserSchema,
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullish(),
  pull_request: z.unknown().optional(),
});
const GhCommentSchema = z.object({
  id: z.number(),
  body: z.string().nullish(),
  user: UserSchema,
  created_at: z.string(),
  updated_at: z.string().optional(),
  html_url: z.string(),
  /** `…/repos/o/r/issues/12`, for issues and pull requests alike. */
  issue_url: z.string().optional(),
});
const GhPullSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  html_url: z.string(),
  user: UserSchema,
  head: z.object({ ref: z.string(), sha: z.string().optional() }),
  base: z.object({ ref: z.string() }),
  created_at: z.string(),
  updated_at: z.string(),
  merged_at: z.string().nullish(),
  merge_commit_sha: z.string().nullish(),
  /** Only the single-PR endpoint computes these; lists leave them out. */
  mergeable: z.boolean().nullish(),
  mergeable_state: z.string().nullish(),
});
const GhMergeResultSchema = z.object({ sha: z.string().nullish(), merged: z.boolean().optional() });
const GhCheckRunSchema = z.object({
  name: z.string(),
  status: z.string(),
  conclusion: z.string().nullish(),
  html_url: z.string().nullish(),
  completed_at: z.string().nullish(),
  started_at: z.string().nullish(),
});
const GhCombinedStatusSchema = z.object({
  statuses: z.array(
    z.object({
      context: z.string(),
      state: z.string(),
      target_url: z.string().nullish(),
      updated_at: z.string().nullish(),
    }),
  ),
});
const GhBranchSchema = z.object({
  name: z.string(),
  protected: z.boolean().optional(),
  protection: z
    .object({
      enabled: z.boolean().optional(),
      required_status_checks: z
        .object({
          enforcement_level: z.string().nullish(),
          contexts: z.array(z.string()).nullish(),
          checks: z.array(z.object({ context: z.string() })).nullish(),
          strict: z.boolean().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
/** Active ruleset rules for a branch; only the two kinds that gate a merge are read. */
const GhBranchRuleSchema = z.object({
  type: z.string(),
  parameters: z
    .object({
      required_status_checks: z.array(z.object({ context: z.string() })).optional(),
      strict_required_status_checks_policy: z.boolean().optional(),
      required_approving_review_count: z.number().int().nonnegative().optional(),
    })
    .passthrough()
    .nullish(),
});
/** `role_name` may be a custom role on GitHub Enterprise; `permission` is always one of the legacy four. */
const GhPermissionSchema = z.object({ permission: z.string(), role_name: z.string().nullish() });

/** Issues and pull requests of one GitHub repository through the REST API (Octokit). */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly owner: string;
  readonly repo: string;
  readonly baseUrl: string;
  private readonly octokit: Octokit;
  private readonly logger: Logger;
  private viewerLogin: Promise<string | undefined> | undefined;

  constructor(options: GitHubForgeOptions) {
    const { owner, repo } = parseInput(GitHubRepositorySchema, options.repository, 'GitHub repository');
    if (!options.token)
      throw new ForgeError('invalid', 'a GitHub token is required', { repository: options.repository });
    this.owner = owner;
    this.repo = repo;
    this.baseUrl = (options.baseUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
    this.logger = (options.logger ?? defaultForgeLogger).child({
      forge: 'github',
      repository: `${owner}/${repo}`,
    });
    const log = this.logger;
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: this.baseUrl,
      userAgent: options.userAgent ?? 'dark-factory-forge',
      request: options.fetch ? { fetch: options.fetch } : {},
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.debug(message),
        warn: (message: string) => log.warn(message),
        error: (message: string) => log.error(message),
      },
    });
  }

  async createIssue(input: CreateIssueInput): Promise<Issue> {
    const data = parseInput(CreateIssueInputSchema, input, 'issue');
    const res = await this.call('create issue', {}, () =>
      this.octokit.rest.issues.create({
        ...this.repoRef(),
        title: data.title,
        body: data.body,
        labels: data.labels,
      }),
    );
    const issue = toIssue(res.data);
    this.logger.info({ issue: issue.number }, 'issue created');
    return issue;
  }

  async getIssue(number: number): Promise<Issue> {
    const n = checkNumber(number);
    const res = await this.call('get issue', { number: n }, () =>
      this.octokit.rest.issues.get({ ...this.repoRef(), issue_number: n }),
    );
    const raw = checked(GhIssueSchema, res.data, 'issue');
    if (raw.pull_request !== undefined && raw.pull_request !== null) {
      throw new ForgeError(
        'not_found',
        `#${n} in ${this.owner}/${this.repo} is a pull request, not an issue`,
        {
          number: n,
        },
      );
    }
    return toIssue(raw);
  }

  async listIssues(query: ListIssuesQuery = {}): Promise<Issue[]> {
    const q = parseInput(ListIssuesQuerySchema, query, 'issue query');
    const items = await this.call('list issues', { query: q }, () =>
      this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
        ...this.repoRef(),
        state: q.state,
        labels: q.labels?.length ? q.labels.join(',') : undefined,
        per_page: 100,
      }),
    );
    // The issues API lists pull requests too.
    return items
      .map((item) => checked(GhIssueSchema, item, 'issue'))
      .filter((item) => item.pull_request === undefined || item.pull_request === null)
      .map(toIssue);
  }

  async commentOnIssue(number: number, body: string): Promise<Comment> {
    const n = checkNumber(number);
    const text = parseInput(CommentBodySchema, body, 'comment', { number });
    return this.comment(n, text);
  }

  async listComments(number: number): Promise<Comment[]> {
    const n = checkNumber(number);
    const items = await this.call('list comments', { number: n }, () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...this.repoRef(),
        issue_number: n,
        per_page: 100,
      }),
    );
    return items.map(toComment);
  }

  async closeIssue(number: number, comment?: string): Promise<Issue> {
    return this.setIssueState(number, 'closed', comment);
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    const n = checkNumber(number);
    const add = parseInput(LabelsSchema, labels, 'labels', { number });
    const res = await this.call('add labels', { number: n, labels: add }, () =>
      this.octokit.rest.issues.addLabels({ ...this.repoRef(), issue_number: n, labels: add }),
    );
    return checked(z.array(GhLabelSchema), res.data, 'labels').flatMap(labelName);
  }

  async reopenIssue(number: number, comment?: string): Promise<Issue> {
    return this.setIssueState(number, 'open', comment);
  }

  /** Closes or reopens an issue, commenting first when asked. */
  private async setIssueState(number: number, state: 'open' | 'closed', comment?: string): Promise<Issue> {
    const n = checkNumber(number);
    const text = optionalComment(comment, number);
    if (text !== undefined) await this.comment(n, text);
    const what = state === 'closed' ? 'close issue' : 'reopen issue';
    const res = await this.call(what, { number: n }, () =>
      this.octokit.rest.issues.update({ ...this.repoRef(), issue_number: n, state }),
    );
    this.logger.info({ issue: n }, state === 'closed' ? 'issue closed' : 'issue reopened');
    return toIssue(res.data);
  }

  async removeLabel(number: number, label: string): Promise<string[]> {
    const n = checkNumber(number);
    const name = parseInput(LabelSchema, label, 'label', { number });
    try {
      const res = await this.call(
        'remove label',
        { number: n, label: name },
        () => this.octokit.rest.issues.removeLabel({ ...this.repoRef(), issue_number: n, name }),
        isNotFound,
      );
      return checked(z.array(GhLabelSchema), res.data, 'labels').flatMap(labelName);
    } catch (err) {
      if (!(err instanceof ForgeError) || !isNotFound(err)) throw err;
      // GitHub answers 404 both for a label the issue does not carry and for a missing issue:
      // read the issue to tell them apart (a missing one fails here with not_found).
      const res = await this.call('get issue', { number: n }, () =>
        this.octokit.rest.issues.get({ ...this.repoRef(), issue_number: n }),
      );
      return checked(GhIssueSchema, res.data, 'issue').labels.flatMap(labelName);
    }
  }

  async createPullRequest(input: CreatePullRequestInput): Promise<PullRequest> {
    const data = parseInput(CreatePullRequestInputSchema, input, 'pull request');
    const res = await this.call('create pull request', { head: data.head, base: data.base }, () =>
      this.octokit.rest.pulls.create({ ...this.repoRef(), ...data }),
    );
    const pull = toPull(res.data);
    this.logger.info({ pull: pull.number, head: pull.head, base: pull.base }, 'pull request created');
    return pull;
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    const n = checkNumber(number);
    const res = await this.call('get pull request', { number: n }, () =>
      this.octokit.rest.pulls.get({ ...this.repoRef(), pull_number: n }),
    );
    return toPull(res.data);
  }

  async listPullRequests(query: ListPullRequestsQuery = {}): Promise<PullRequest[]> {
    const q = parseInput(ListPullRequestsQuerySchema, query, 'pull request query');
    // GitHub knows open/closed/all; merged ones are closed ones with merged_at.
    const apiState = q.state === 'merged' ? 'closed' : q.state;
    const items = await this.call('list pull requests', { query: q }, () =>
      this.octokit.paginate(this.octokit.rest.pulls.list, {
        ...this.repoRef(),
        state: apiState,
        sort: 'created',
        direction: 'desc',
        per_page: 100,
      }),
    );
    return items.map(toPull).filter((p) => q.state === 'all' || p.state === q.state);
  }

  async commentOnPullRequest(number: number, body: string): Promise<Comment> {
    const n = checkNumber(number);
    const text = parseInput(CommentBodySchema, body, 'comment', { number });
    return this.comment(n, text);
  }

  async mergePullRequest(number: number, options: MergeOptions = {}): Promise<PullRequest> {
    const n = checkNumber(number);
    // mergeCommitSha is the local forge's; GitHub makes its own commit.
    const { method, commitTitle, commitMessage, sha } = parseInput(
      MergeOptionsSchema,
      options,
      'merge options',
      {
        number,
      },
    );
    const res = await this.call('merge pull request', { number: n, method, sha }, () =>
      this.octokit.rest.pulls.merge({
        ...this.repoRef(),
        pull_number: n,
        merge_method: method,
        commit_title: commitTitle,
        commit_message: commitMessage,
        sha,
      }),
    );
    const result = checked(GhMergeResultSchema, res.data, 'merge result');
    const pull = await this.getPullRequest(n);
    const merged = pull.mergeCommitSha || !result.sha ? pull : { ...pull, mergeCommitSha: result.sha };
    this.logger.info({ pull: n, method, mergeCommitSha: merged.mergeCommitSha }, 'pull request merged');
    return merged;
  }

  async closePullRequest(number: number, comment?: string): Promise<PullRequest> {
    const n = checkNumber(number);
    const text = optionalComment(comment, number);
    if (text !== undefined) await this.comment(n, text);
    const res = await this.call('close pull request', { number: n }, () =>
      this.octokit.rest.pulls.update({ ...this.repoRef(), pull_number: n, state: 'closed' }),
    );
    const pull = toPull(res.data);
    this.logger.info({ pull: n, state: pull.state }, 'pull request closed');
    return pull;
  }

  async listIssueChanges(query: IssueChangesQuery = {}): Promise<Changes<Issue>> {
    const q = parseInput(IssueChangesQuerySchema, query, 'changes query');
    const answer = await this.conditional('list issue changes', q, (headers) =>
      this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
        ...this.repoRef(),
        state: q.state,
        sort: 'updated',
        direction: 'asc',
        since: q.since,
        per_page: 100,
        headers,
      }),
    );
    if (!answer.changed) return answer;
    const items = answer.items
      .map((item) => checked(GhIssueSchema, item, 'issue'))
      .filter((item) => item.pull_request === undefined || item.pull_request === null)
      .map(toIssue);
    return { ...answer, items };
  }

  async listCommentChanges(query: ChangesQuery = {}): Promise<Changes<IssueComment>> {
    const q = parseInput(ChangesQuerySchema, query, 'changes query');
    const answer = await this.conditional('list comment changes', q, (headers) =>
      this.octokit.paginate.iterator(this.octokit.rest.issues.listCommentsForRepo, {
        ...this.repoRef(),
        sort: 'updated',
        direction: 'asc',
        since: q.since,
        per_page: 100,
        headers,
      }),
    );
    if (!answer.changed) return answer;
    return { ...answer, items: answer.items.map(toIssueComment) };
  }

  async getPermission(login: string): Promise<Permission> {
    const username = parseInput(LoginSchema, login, 'login');
    let data: unknown;
    try {
      const res = await this.call(
        'get permission',
        { login: username },
        () => this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.repoRef(), username }),
        isNotFound,
      );
      data = res.data;
    } catch (err) {
      // 404: no such user (or not visible to this token); either way, no access.
      if (err instanceof ForgeError && isNotFound(err)) return 'none';
      throw err;
    }
    const raw = checked(GhPermissionSchema, data, 'permission');
    const role = PermissionSchema.safeParse(raw.role_name);
    if (role.success) return role.data;
    const legacy = PermissionSchema.safeParse(raw.permission);
    if (legacy.success) return legacy.data;
    throw new ForgeError(
      'unavailable',
      `unexpected permission "${raw.permission}" from GitHub for ${username}`,
      {
        login: username,
        permission: raw.permission,
        roleName: raw.role_name,
      },
    );
  }

  async listCommitChecks(ref: string): Promise<CommitCheck[]> {
    const commit = parseInput(CommitRefSchema, ref, 'commit ref');
    const context = { ref: commit };
    // filter=latest: one run per name, the newest (a re-run replaces the failed attempt).
    const runs = await this.call('list check runs', context, () =>
      this.octokit.paginate(this.octokit.rest.checks.listForRef, {
        ...this.repoRef(),
        ref: commit,
        filter: 'latest',
        per_page: 100,
      }),
    );
    const combined = await this.call('get combined status', context, () =>
      this.octokit.rest.repos.getCombinedStatusForRef({ ...this.repoRef(), ref: commit, per_page: 100 }),
    );
    const checks = new Map<string, CommitCheck>();
    // Statuses first, so that a check run of the same name (the modern source) wins.
    for (const status of checked(GhCombinedStatusSchema, combined.data, 'combined status').statuses) {
      checks.set(status.context, {
        name: status.context,
        state: statusState(status.state),
        source: 'status',
        detail: status.state,
        ...(status.target_url ? { url: status.target_url } : {}),
      });
    }
    for (const item of runs) {
      const run = checked(GhCheckRunSchema, item, 'check run');
      checks.set(run.name, {
        name: run.name,
        state: checkRunState(run.status, run.conclusion),
        source: 'check_run',
        detail: run.status === 'completed' ? (run.conclusion ?? 'completed') : run.status,
        ...(run.html_url ? { url: run.html_url } : {}),
      });
    }
    return [...checks.values()]
      .map((c) => checked(CommitCheckSchema, c, 'check'))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async setCommitStatus(sha: string, status: CommitStatusInput): Promise<void> {
    const commit = parseInput(CommitShaSchema, sha, 'commit sha');
    const input = parseInput(CommitStatusInputSchema, status, 'commit status', { sha: commit });
    await this.call('set commit status', { sha: commit, context: input.context }, () =>
      this.octokit.rest.repos.createCommitStatus({
        ...this.repoRef(),
        sha: commit,
        state: input.state,
        context: input.context,
        description: input.description,
        target_url: input.targetUrl,
      }),
    );
  }

  /**
   * Classic protection as the branch endpoint shows it to anyone who can read the repository (the
   * protection endpoint itself needs admin rights), plus the rulesets active on the branch.
   */
  async getBranchProtection(branch: string): Promise<BranchProtection> {
    const name = parseInput(BranchSchema, branch, 'branch');
    const res = await this.call('get branch', { branch: name }, () =>
      this.octokit.rest.repos.getBranch({ ...this.repoRef(), branch: name }),
    );
    const raw = checked(GhBranchSchema, res.data, 'branch');
    let rules: z.infer<typeof GhBranchRuleSchema>[] = [];
    try {
      const items = await this.call(
        'get branch rules',
        { branch: name },
        () =>
          this.octokit.paginate(this.octokit.rest.repos.getBranchRules, {
            ...this.repoRef(),
            branch: name,
            per_page: 100,
          }),
        isNotFound,
      );
      rules = items.map((item) => checked(GhBranchRuleSchema, item, 'branch rule'));
    } catch (err) {
      // Servers without rulesets (older GitHub Enterprise) answer 404: no rules.
      if (!(err instanceof ForgeError) || !isNotFound(err)) throw err;
    }
    const classic = raw.protection?.required_status_checks;
    const classicOn = classic !== null && classic !== undefined && classic.enforcement_level !== 'off';
    const required = new Set<string>();
    if (classicOn) {
      for (const c of classic.contexts ?? []) required.add(c);
      for (const c of classic.checks ?? []) required.add(c.context);
    }
    let strict = classicOn && classic.strict === true;
    let reviews: number | null = null;
    for (const rule of rules) {
      if (rule.type === 'required_status_checks') {
        for (const c of rule.parameters?.required_status_checks ?? []) required.add(c.context);
        strict ||= rule.parameters?.strict_required_status_checks_policy === true;
      }
      if (rule.type === 'pull_request') {
        reviews = Math.max(reviews ?? 0, rule.parameters?.required_approving_review_count ?? 0);
      }
    }
    return checked(
      BranchProtectionSchema,
      {
        branch: name,
        protected: raw.protected === true || rules.length > 0,
        requiredChecks: [...required].sort(),
        strict,
        requiredApprovingReviews: reviews,
      },
      'branch protection',
    );
  }

  /** `GET /user`, asked once per instance (a failure is not remembered, so a later call retries). */
  viewer(): Promise<string | undefined> {
    if (!this.viewerLogin) {
      this.viewerLogin = this.fetchViewer().catch((err: unknown) => {
        this.viewerLogin = undefined;
        throw err;
      });
    }
    return this.viewerLogin;
  }

  private async fetchViewer(): Promise<string | undefined> {
    try {
      const res = await this.call(
        'get viewer',
        {},
        () => this.octokit.rest.users.getAuthenticated(),
        cannotReadUser,
      );
      return checked(z.object({ login: z.string() }), res.data, 'user').login;
    } catch (err) {
      if (err instanceof ForgeError && cannotReadUser(err)) {
        this.logger.info('this token cannot read its user; viewer unknown');
        return undefined;
      }
      throw err;
    }
  }

  private repoRef(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  private async comment(number: number, body: string): Promise<Comment> {
    const res = await this.call('comment', { number }, () =>
      this.octokit.rest.issues.createComment({ ...this.repoRef(), issue_number: number, body }),
    );
    return toComment(res.data);
  }

  /**
   * A listing sent with `If-None-Match`: GitHub answers 304 (no body, not counted against the rate
   * limit) when nothing changed. Octokit reports the 304 as a RequestError; here it is an answer.
   */
  private async conditional(
    action: string,
    query: { etag?: string | undefined },
    pages: (
      headers: Record<string, string>,
    ) => AsyncIterable<{ data: unknown[]; headers: { etag?: string | undefined } }>,
  ): Promise<Changes<unknown>> {
    const items: unknown[] = [];
    let etag: string | undefined;
    let first = true;
    const notModified = (err: ForgeError) => err.context.status === 304;
    try {
      await this.call(
        action,
        {},
        async () => {
          for await (const page of pages(query.etag ? { 'if-none-match': query.etag } : {})) {
            if (first) etag = page.headers.etag;
            first = false;
            items.push(...page.data);
          }
        },
        notModified,
      );
    } catch (err) {
      if (err instanceof ForgeError && notModified(err) && query.etag)
        return { changed: false, etag: query.etag };
      throw err;
    }
    return { changed: true, etag, items };
  }

  /** `expected` names an answer the caller handles (logged at debug, not as a failure). */
  private async call<T>(
    action: string,
    context: Record<string, unknown>,
    fn: () => Promise<T>,
    expected?: (err: ForgeError) => boolean,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ForgeError) throw err;
      const mapped = toForgeError(err, action, { repository: `${this.owner}/${this.repo}`, ...context });
      this.logger[expected?.(mapped) ? 'debug' : 'warn'](
        { err: mapped.message, code: mapped.code, ...mapped.context },
        `GitHub ${action} failed`,
      );
      throw mapped;
    }
  }
}

/** Map an Octokit RequestError (or a network failure) to a ForgeError code. */
export function toForgeError(
  err: unknown,
  action: string,
  context: Record<string, unknown> = {},
): ForgeError {
  const status = httpStatus(err);
  const headers = responseHeaders(err);
  const message = err instanceof Error ? err.message : String(err);
  const data = responseData(err);
  const code = classify(status, headers, data);
  const extra: Record<string, unknown> = { ...context, status };
  if (code === 'rate_limited') {
    const retryAfter = Number(headers['retry-after']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(retryAfter)) extra.retryAfterSeconds = retryAfter;
    if (Number.isFinite(reset) && reset > 0) extra.resetAt = new Date(reset * 1000).toISOString();
  }
  const detail = status === undefined ? message : `HTTP ${status}: ${message}`;
  return new ForgeError(code, `GitHub ${action} failed (${code}): ${detail}`, extra, { cause: err });
}

function classify(
  status: number | undefined,
  headers: Record<string, string>,
  data: unknown,
): ForgeErrorCode {
  if (status === undefined) return 'unavailable';
  if (status === 429) return 'rate_limited';
  if (status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined)) {
    return 'rate_limited';
  }
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 405 || status === 409) return 'conflict';
  if (status === 422) return alreadyExists(data) ? 'conflict' : 'invalid';
  if (status >= 500) return 'unavailable';
  return 'invalid';
}

/** GitHub answers a duplicate pull request with 422 "A pull request already exists for ...". */
function alreadyExists(data: unknown): boolean {
  return /already exists/i.test(JSON.stringify(data ?? ''));
}

function httpStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number') return err.status;
  return undefined;
}

function responseHeaders(err: unknown): Record<string, string> {
  if (err && typeof err === 'object' && 'response' in err) {
    const response = err.response;
    if (response && typeof response === 'object' && 'headers' in response) {
      const headers = response.headers;
      if (headers && typeof headers === 'object') {
        return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      }
    }
  }
  return {};
}

function responseData(err: unknown): unknown {
  if (err && typeof err === 'object' && 'response' in err) {
    const response = err.response;
    if (response && typeof response === 'object' && 'data' in response) return response.data;
  }
  return undefined;
}

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ForgeError(
    'unavailable',
    `unexpected ${what} payload from GitHub: ${z.prettifyError(parsed.error)}`,
    {
      issues: parsed.error.issues,
    },
  );
}

/** A check run in progress is pending; once completed, only success, neutral and skipped do not fail. */
function checkRunState(status: string, conclusion: string | null | undefined): CheckState {
  if (status !== 'completed') return 'pending';
  if (conclusion === 'success') return 'success';
  if (conclusion === 'neutral') return 'neutral';
  if (conclusion === 'skipped') return 'skipped';
  return 'failure';
}

function statusState(state: string): CheckState {
  if (state === 'success') return 'success';
  if (state === 'pending') return 'pending';
  return 'failure';
}

function labelName(label: z.infer<typeof GhLabelSchema>): string[] {
  const name = typeof label === 'string' ? label : label.name;
  return name ? [name] : [];
}

const isNotFound = (err: ForgeError) => err.code === 'not_found';
/** An app installation token (and Actions' GITHUB_TOKEN) may not read /user: 403, not a failure. */
const cannotReadUser = (err: ForgeError) => err.code === 'auth' && err.context.status === 403;

/** Known only when GitHub says which type of account it is. */
function isBot(user: z.infer<typeof UserSchema>): boolean | undefined {
  return user?.type === undefined ? undefined : user.type === 'Bot';
}

function toIssue(data: unknown): Issue {
  const raw = checked(GhIssueSchema, data, 'issue');
  return checked(
    IssueSchema,
    {
      number: raw.number,
      title: raw.title,
      body: raw.body ?? '',
      state: raw.state,
      labels: raw.labels.flatMap(labelName),
      url: raw.html_url,
      author: raw.user?.login,
      authorIsBot: isBot(raw.user),
      createdAt: raw.created_at,
      updatedAt: raw.updated_at,
      closedAt: raw.closed_at ?? undefined,
    },
    'issue',
  );
}

function toComment(data: unknown): Comment {
  const raw = checked(GhCommentSchema, data, 'comment');
  return checked(
    CommentSchema,
    {
      id: raw.id,
      body: raw.body ?? '',
      author: raw.user?.login,
      authorIsBot: isBot(raw.user),
      createdAt: raw.created_at,
      url: raw.html_url,
    },
    'comment',
  );
}

function toIssueComment(data: unknown): IssueComment {
  const raw = checked(GhCommentSchema, data, 'comment');
  const issue = /\/issues\/(\d+)$/.exec(raw.issue_url ?? '')?.[1];
  return checked(
    IssueCommentSchema,
    { ...toComment(raw), issue: Number(issue), updatedAt: raw.updated_at ?? raw.created_at },
    'comment',
  );
}

function toPull(data: unknown): PullRequest {
  const raw = checked(GhPullSchema, data, 'pull request');
  return checked(
    PullRequestSchema,
    {
      number: raw.number,
      url: raw.html_url,
      state: raw.merged_at ? 'merged' : raw.state,
      head: raw.head.ref,
      base: raw.base.ref,
      title: raw.title,
      body: raw.body ?? '',
      author: raw.user?.login,
      createdAt: raw.created_at,
      updatedAt: raw.updated_at,
      mergedAt: raw.merged_at ?? undefined,
      // Before the merge GitHub puts its test merge commit here; only a merged PR's is the real one.
      mergeCommitSha: raw.merged_at ? (raw.merge_commit_sha ?? undefined) : undefined,
      headSha: raw.head.sha,
      ...(raw.mergeable === undefined ? {} : { mergeable: raw.mergeable }),
      ...(raw.mergeable_state ? { mergeableState: raw.mergeable_state } : {}),
    },
    'pull request',
  );
}

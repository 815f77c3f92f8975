import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { ForgeError, type ForgeErrorCode, parseInput } from './errors.ts';
import { defaultForgeLogger, type Logger } from './log.ts';
import {
  type Comment,
  CommentBodySchema,
  CommentSchema,
  type CreateIssueInput,
  CreateIssueInputSchema,
  type CreatePullRequestInput,
  CreatePullRequestInputSchema,
  type Forge,
  type Issue,
  IssueSchema,
  ItemNumberSchema,
  LabelsSchema,
  type ListIssuesQuery,
  ListIssuesQuerySchema,
  type ListPullRequestsQuery,
  ListPullRequestsQuerySchema,
  type MergeOptions,
  MergeOptionsSchema,
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
const UserSchema = z.object({ login: z.string() }).nullish();
const LabelSchema = z.union([z.string(), z.object({ name: z.string().nullish() })]);
const GhIssueSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  labels: z.array(LabelSchema),
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
  html_url: z.string(),
});
const GhPullSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  html_url: z.string(),
  user: UserSchema,
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
  created_at: z.string(),
  updated_at: z.string(),
  merged_at: z.string().nullish(),
});

/** Issues and pull requests of one GitHub repository through the REST API (Octokit). */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly owner: string;
  readonly repo: string;
  readonly baseUrl: string;
  private readonly octokit: Octokit;
  private readonly logger: Logger;

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
    const n = checkNumber(number);
    const text =
      comment === undefined ? undefined : parseInput(CommentBodySchema, comment, 'comment', { number });
    if (text !== undefined) await this.comment(n, text);
    const res = await this.call('close issue', { number: n }, () =>
      this.octokit.rest.issues.update({ ...this.repoRef(), issue_number: n, state: 'closed' }),
    );
    this.logger.info({ issue: n }, 'issue closed');
    return toIssue(res.data);
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    const n = checkNumber(number);
    const add = parseInput(LabelsSchema, labels, 'labels', { number });
    const res = await this.call('add labels', { number: n, labels: add }, () =>
      this.octokit.rest.issues.addLabels({ ...this.repoRef(), issue_number: n, labels: add }),
    );
    return checked(z.array(LabelSchema), res.data, 'labels').flatMap(labelName);
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
    const { method } = parseInput(MergeOptionsSchema, options, 'merge options', { number });
    await this.call('merge pull request', { number: n, method }, () =>
      this.octokit.rest.pulls.merge({ ...this.repoRef(), pull_number: n, merge_method: method }),
    );
    this.logger.info({ pull: n, method }, 'pull request merged');
    return this.getPullRequest(n);
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

  private async call<T>(action: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ForgeError) throw err;
      const mapped = toForgeError(err, action, { repository: `${this.owner}/${this.repo}`, ...context });
      this.logger.warn(
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

function checkNumber(number: number): number {
  return parseInput(ItemNumberSchema, number, 'issue or pull request number', { number });
}

function labelName(label: z.infer<typeof LabelSchema>): string[] {
  const name = typeof label === 'string' ? label : label.name;
  return name ? [name] : [];
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
      createdAt: raw.created_at,
      url: raw.html_url,
    },
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
    },
    'pull request',
  );
}

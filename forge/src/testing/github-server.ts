import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, serveHttp } from '@dark-factory/kit/testing';
import { branchSha, mergeBranches } from './git-side.ts';

/**
 * A fake GitHub REST API on 127.0.0.1 with in-memory state, for tests that drive the real
 * Octokit client. It implements the subset the forge uses, with GitHub's shapes and rules:
 * issues and pull requests share one number space and the issues endpoints list PRs too; list
 * endpoints paginate with `per_page`/`page` and a `link` header; every request must carry
 * `authorization: token <token>` (or `Bearer`) of a known token, else 401 "Bad credentials", and
 * acts as that token's user; bad input gets 422 "Validation Failed". Users whose login ends in
 * `[bot]` (or who are in `state.bots`) are `type: "Bot"`. Any response can be scripted
 * (`script()`), e.g. a 429 or a 404.
 *
 *   GET /user
 *   POST/GET /repos/:o/:r/issues          GET/PATCH /repos/:o/:r/issues/:n
 *   GET/POST /repos/:o/:r/issues/:n/comments   POST /repos/:o/:r/issues/:n/labels
 *   DELETE /repos/:o/:r/issues/:n/labels/:name (404 "Label does not exist" when absent)
 *   POST/GET /repos/:o/:r/pulls           GET/PATCH /repos/:o/:r/pulls/:n
 *   PUT /repos/:o/:r/pulls/:n/merge (405 when not mergeable, 409 when `sha` is not the head)
 *   GET /repos/:o/:r/collaborators/:user/permission (404 for a login not in `state.collaborators`)
 *   GET /repos/:o/:r/issues/comments (repository-wide); it and `GET /issues` take `since`, `sort`, `direction`
 *   Conditional requests: every 200 answer to a GET carries an `etag`; a request whose `If-None-Match`
 *   matches it gets 304 with no body, which (as on GitHub) does not count against the rate limit.
 *   `state.rateLimitedRequests` counts the requests that do; `x-ratelimit-remaining` follows it.
 *   GET /repos/:o/:r/commits/:ref/check-runs (`state.checkRuns`, by sha or branch name)
 *   GET /repos/:o/:r/commits/:ref/status   POST /repos/:o/:r/statuses/:sha (`state.statuses`)
 *   GET /repos/:o/:r/branches/:branch (`protected`, `protection.required_status_checks` from `state.protection`)
 *   GET /repos/:o/:r/rules/branches/:branch (`state.rules`)
 *   A pull request's `mergeable_state` is `state.mergeableStates.get(n)`, else `clean` (or `dirty` when unmergeable).
 *   With `gitDir` (a bare repository the branches are pushed to), a PR's head sha is its branch's commit
 *   there and a merge writes the squash (or merge commit) onto the base branch there (git-side.ts).
 */

export interface FakeIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Set for the issue side of a pull request. */
  isPull: boolean;
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
}

export interface FakePull {
  number: number;
  head: string;
  base: string;
  /** The head branch's commit; set it to simulate a push (a merge naming the old `sha` then gets 409). */
  headSha: string;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergeMethod: string | null;
  /** What the merge request asked for (`commit_title`, `commit_message`, `sha`). */
  mergeCommitTitle: string | null;
  mergeCommitMessage: string | null;
  mergeSha: string | null;
}

/** A check run on a commit, as a CI (e.g. an Actions job) reports it. */
export interface FakeCheckRun {
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  /** Set once `completed`: success, failure, neutral, cancelled, skipped, timed_out, action_required. */
  conclusion: string | null;
}

export interface FakeStatus {
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  description: string | null;
  targetUrl: string | null;
}

/** Classic branch protection's required status checks for one branch. */
export interface FakeProtection {
  requiredChecks: string[];
  strict?: boolean;
  /** `off` makes the required checks advisory (GitHub's enforcement_level). */
  enforcementLevel?: 'off' | 'non_admins' | 'everyone';
}

/** An active ruleset rule on a branch, as `GET /rules/branches/:branch` lists it. */
export interface FakeRule {
  type: string;
  parameters?: Record<string, unknown>;
}

export type FakePermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface ScriptedResponse {
  /** Matches any method when omitted. */
  method?: string;
  /** Exact pathname (e.g. `/repos/acme/widgets/issues/1`) or a pattern; any path when omitted. */
  path?: string | RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests get this answer (default 1). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface GitHubServerState {
  owner: string;
  repo: string;
  token: string;
  /** Login of `token`: the author of everything created with it. */
  login: string;
  /** Every accepted token and the login it acts as (`token` → `login` included). */
  tokens: Map<string, string>;
  /** Repository permissions by login (`login` is `admin` unless told otherwise). */
  collaborators: Map<string, FakePermission>;
  /** Logins reported as `type: "Bot"` besides those ending in `[bot]`. */
  bots: Set<string>;
  issues: Map<number, FakeIssue>;
  pulls: Map<number, FakePull>;
  comments: FakeComment[];
  /** Repository labels by lower-cased name (GitHub label names are case-insensitive). */
  labels: Map<string, { id: number; name: string; color: string }>;
  /** Pull request numbers whose merge is refused with 405 (as for a merge conflict). */
  unmergeable: Set<number>;
  /** Check runs by commit sha (a branch name works too: the fake has no git). */
  checkRuns: Map<string, FakeCheckRun[]>;
  /** Commit statuses by commit sha (or branch name), one per context. */
  statuses: Map<string, FakeStatus[]>;
  /** Classic branch protection by branch name (a branch not listed is unprotected). */
  protection: Map<string, FakeProtection>;
  /** Ruleset rules by branch name. */
  rules: Map<string, FakeRule[]>;
  /** `mergeable_state` by pull request number (e.g. `blocked` for a required review). */
  mergeableStates: Map<number, string>;
  scripted: ScriptedResponse[];
  requests: RecordedRequest[];
  /** Authenticated requests that counted against the rate limit (a 304 to a conditional request does not). */
  rateLimitedRequests: number;
  /** Conditional requests answered 304 Not Modified. */
  notModifiedRequests: number;
  nextNumber: number;
  nextId: number;
}

export interface GitHubServer {
  /** Base URL for Octokit (`baseUrl`) and GITHUB_API_URL. */
  url: string;
  state: GitHubServerState;
  /** Queue a canned answer for the next matching request(s). */
  script(response: ScriptedResponse): void;
  close(): Promise<void>;
}

export interface GitHubServerOptions {
  token?: string;
  owner?: string;
  repo?: string;
  login?: string;
  /** More tokens, each acting as its login (e.g. a reporter besides the factory). */
  tokens?: Record<string, string>;
  /** Repository permissions by login; merged over `{ [login]: 'admin' }`. */
  collaborators?: Record<string, FakePermission>;
  bots?: string[];
  now?: () => Date;
  /** A bare repository playing the repository's git side: heads are read, merges written there. */
  gitDir?: string;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const notFound = () =>
  new HttpFailure(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
const validationFailed = (resource: string, field: string, code: string, message?: string) =>
  new HttpFailure(422, {
    message: 'Validation Failed',
    errors: [{ resource, field, code, ...(message ? { message } : {}) }],
    documentation_url: 'https://docs.github.com/rest',
  });

/** The legacy `permission` field knows only admin/write/read/none. */
const LEGACY_PERMISSION: Record<FakePermission, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const now = options.now ?? (() => new Date());
  const token = options.token ?? 'test-token';
  const login = options.login ?? 'octocat';
  const state: GitHubServerState = {
    owner: options.owner ?? 'acme',
    repo: options.repo ?? 'widgets',
    token,
    login,
    tokens: new Map([...Object.entries(options.tokens ?? {}), [token, login]]),
    collaborators: new Map(Object.entries({ [login]: 'admin' as FakePermission, ...options.collaborators })),
    bots: new Set(options.bots ?? []),
    issues: new Map(),
    pulls: new Map(),
    comments: [],
    labels: new Map(),
    unmergeable: new Set(),
    checkRuns: new Map(),
    statuses: new Map(),
    protection: new Map(),
    rules: new Map(),
    mergeableStates: new Map(),
    scripted: [],
    requests: [],
    rateLimitedRequests: 0,
    notModifiedRequests: 0,
    nextNumber: 1,
    nextId: 1,
  };
  let origin = '';

  const timestamp = () =>
    now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  const isBot = (name: string) => name.endsWith('[bot]') || state.bots.has(name);
  const userIds = new Map<string, number>();
  const user = (name: string) => {
    if (!userIds.has(name)) userIds.set(name, userIds.size + 1);
    return { login: name, id: userIds.get(name)!, type: isBot(name) ? 'Bot' : 'User', site_admin: false };
  };
  const permissionOf = (name: string): FakePermission | undefined => {
    for (const [known, permission] of state.collaborators) {
      if (known.toLowerCase() === name.toLowerCase()) return permission;
    }
    return undefined;
  };
  const repoPath = () => `/repos/${state.owner}/${state.repo}`;
  const labelJson = (name: string) => {
    const label = state.labels.get(name.toLowerCase());
    return { id: label?.id ?? 0, name: label?.name ?? name, color: label?.color ?? 'ededed', default: false };
  };
  const ensureLabel = (name: string) => {
    const key = name.toLowerCase();
    const existing = state.labels.get(key);
    if (existing) return existing.name;
    state.labels.set(key, { id: state.nextId++, name, color: 'ededed' });
    return name;
  };
  const issueJson = (issue: FakeIssue) => {
    const kind = issue.isPull ? 'pull' : 'issues';
    const pull = state.pulls.get(issue.number);
    return {
      id: 1000 + issue.number,
      node_id: `I_${issue.number}`,
      url: `${origin}${repoPath()}/issues/${issue.number}`,
      html_url: `${origin}/${state.owner}/${state.repo}/${kind}/${issue.number}`,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      labels: issue.labels.map(labelJson),
      user: user(issue.user),
      assignees: [],
      comments: state.comments.filter((c) => c.issueNumber === issue.number).length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      ...(issue.isPull
        ? {
            pull_request: {
              url: `${origin}${repoPath()}/pulls/${issue.number}`,
              html_url: `${origin}/${state.owner}/${state.repo}/pull/${issue.number}`,
              merged_at: pull?.mergedAt ?? null,
            },
          }
        : {}),
    };
  };
  const pullJson = (pull: FakePull) => {
    const issue = state.issues.get(pull.number)!;
    const ref = (name: string, commit: string) => ({
      ref: name,
      label: `${state.owner}:${name}`,
      sha: commit,
    });
    return {
      id: 5000 + pull.number,
      number: pull.number,
      url: `${origin}${repoPath()}/pulls/${pull.number}`,
      html_url: `${origin}/${state.owner}/${state.repo}/pull/${pull.number}`,
      state: issue.state,
      title: issue.title,
      body: issue.body,
      user: user(issue.user),
      labels: issue.labels.map(labelJson),
      head: ref(pull.head, pull.headSha),
      base: ref(pull.base, sha(pull.base)),
      merged: pull.mergedAt !== null,
      mergeable: pull.mergedAt !== null ? null : !state.unmergeable.has(pull.number),
      mergeable_state:
        state.mergeableStates.get(pull.number) ?? (state.unmergeable.has(pull.number) ? 'dirty' : 'clean'),
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
    };
  };
  const commentJson = (comment: FakeComment) => ({
    id: comment.id,
    body: comment.body,
    user: user(comment.user),
    html_url: `${origin}/${state.owner}/${state.repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${origin}${repoPath()}/issues/${comment.issueNumber}`,
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
  });

  /** GitHub's merge refusal when a required check of the base branch has not passed on the head. */
  const requiredChecksUnmet = (pull: FakePull): string | undefined => {
    const required = new Set<string>();
    const protection = state.protection.get(pull.base);
    if (protection && protection.enforcementLevel !== 'off') {
      for (const name of protection.requiredChecks) required.add(name);
    }
    for (const rule of state.rules.get(pull.base) ?? []) {
      const listed = rule.parameters?.required_status_checks;
      if (rule.type === 'required_status_checks' && Array.isArray(listed)) {
        for (const c of listed) if (c && typeof c.context === 'string') required.add(c.context);
      }
    }
    const runs = state.checkRuns.get(pull.headSha) ?? [];
    const statuses = state.statuses.get(pull.headSha) ?? [];
    for (const name of required) {
      const run = runs.find((r) => r.name === name);
      const status = statuses.find((s) => s.context === name);
      const passed = run
        ? run.status === 'completed' && ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '')
        : status?.state === 'success';
      if (!passed) {
        return run || status
          ? `Required status check "${name}" is ${run?.status === 'completed' || (status && status.state !== 'pending') ? 'failing' : 'in progress'}.`
          : `Required status check "${name}" is expected.`;
      }
    }
    return undefined;
  };

  const getIssue = (n: number) => {
    const issue = state.issues.get(n);
    if (!issue) throw notFound();
    return issue;
  };
  const getPull = (n: number) => {
    const pull = state.pulls.get(n);
    if (!pull) throw notFound();
    // A push to the branch moves an open PR's head, as on GitHub.
    if (options.gitDir && pull.mergedAt === null)
      pull.headSha = branchSha(options.gitDir, pull.head) ?? pull.headSha;
    return pull;
  };

  type Reply = { status: number; body: unknown; headers?: Record<string, string> };

  const paginate = (items: unknown[], url: URL): Reply => {
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
    const pageUrl = (p: number) => {
      const u = new URL(url.toString());
      u.searchParams.set('page', String(p));
      return `${origin}${u.pathname}${u.search}`;
    };
    const links: string[] = [];
    if (page < lastPage)
      links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
    return {
      status: 200,
      body: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  };

  const route = (method: string, url: URL, body: unknown, actor: string): Reply => {
    if (url.pathname === '/user' && method === 'GET') {
      return { status: 200, body: { ...user(actor), name: actor, html_url: `${origin}/${actor}` } };
    }
    const prefix = repoPath();
    if (!url.pathname.startsWith(`${prefix}/`)) throw notFound();
    const rest = url.pathname.slice(prefix.length);
    const input = (body ?? {}) as Record<string, unknown>;
    // The item number in paths like /issues/12/comments, if the path has that shape.
    const numbered = (pattern: RegExp): number | undefined => {
      const found = pattern.exec(rest);
      return found ? Number(found[1]) : undefined;
    };
    const issuePath = numbered(/^\/issues\/(\d+)$/);
    const commentsPath = numbered(/^\/issues\/(\d+)\/comments$/);
    const labelsPath = numbered(/^\/issues\/(\d+)\/labels$/);
    const labelPath = /^\/issues\/(\d+)\/labels\/([^/]+)$/.exec(rest);
    const pullPath = numbered(/^\/pulls\/(\d+)$/);
    const mergePath = numbered(/^\/pulls\/(\d+)\/merge$/);
    const permissionPath = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    const checkRunsPath = /^\/commits\/([^/]+)\/check-runs$/.exec(rest);
    const combinedStatusPath = /^\/commits\/([^/]+)\/status$/.exec(rest);
    const statusPath = /^\/statuses\/([^/]+)$/.exec(rest);
    const branchPath = /^\/branches\/(.+)$/.exec(rest);
    const branchRulesPath = /^\/rules\/branches\/(.+)$/.exec(rest);

    if (checkRunsPath && method === 'GET') {
      const ref = decodeURIComponent(checkRunsPath[1]!);
      const runs = (state.checkRuns.get(ref) ?? []).map((run, i) => ({
        id: 7000 + i,
        name: run.name,
        head_sha: ref,
        status: run.status,
        conclusion: run.status === 'completed' ? run.conclusion : null,
        html_url: `${origin}/${state.owner}/${state.repo}/runs/${7000 + i}`,
        app: { id: 15368, slug: 'github-actions' },
      }));
      const page = paginate(runs, url);
      return { ...page, body: { total_count: runs.length, check_runs: page.body } };
    }
    if (combinedStatusPath && method === 'GET') {
      const ref = decodeURIComponent(combinedStatusPath[1]!);
      const statuses = state.statuses.get(ref) ?? [];
      const combined = statuses.some((s) => s.state === 'failure' || s.state === 'error')
        ? 'failure'
        : statuses.length === 0 || statuses.some((s) => s.state === 'pending')
          ? 'pending'
          : 'success';
      return {
        status: 200,
        body: {
          state: combined,
          sha: ref,
          total_count: statuses.length,
          statuses: statuses.map((s, i) => ({
            id: 8000 + i,
            context: s.context,
            state: s.state,
            description: s.description,
            target_url: s.targetUrl,
          })),
        },
      };
    }
    if (statusPath && method === 'POST') {
      const commit = decodeURIComponent(statusPath[1]!);
      const wanted = ['pending', 'success', 'failure', 'error'];
      if (typeof input.state !== 'string' || !wanted.includes(input.state)) {
        throw validationFailed('Status', 'state', 'invalid');
      }
      const context = typeof input.context === 'string' && input.context ? input.context : 'default';
      const kept = (state.statuses.get(commit) ?? []).filter((s) => s.context !== context);
      const status: FakeStatus = {
        context,
        state: input.state as FakeStatus['state'],
        description: typeof input.description === 'string' ? input.description : null,
        targetUrl: typeof input.target_url === 'string' ? input.target_url : null,
      };
      state.statuses.set(commit, [...kept, status]);
      return { status: 201, body: { id: state.nextId++, ...status, target_url: status.targetUrl } };
    }
    if (branchPath && method === 'GET') {
      const name = decodeURIComponent(branchPath[1]!);
      const known = [...state.pulls.values()].some((p) => p.base === name || p.head === name);
      if (!known && name !== 'main' && !state.protection.has(name)) throw notFound();
      const protection = state.protection.get(name);
      return {
        status: 200,
        body: {
          name,
          commit: { sha: sha(name) },
          protected: protection !== undefined,
          protection: protection
            ? {
                enabled: true,
                required_status_checks: {
                  enforcement_level: protection.enforcementLevel ?? 'non_admins',
                  contexts: protection.requiredChecks,
                  checks: protection.requiredChecks.map((context) => ({ context, app_id: null })),
                  strict: protection.strict ?? false,
                },
              }
            : {
                enabled: false,
                required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
              },
          protection_url: `${origin}${repoPath()}/branches/${name}/protection`,
        },
      };
    }
    if (branchRulesPath && method === 'GET') {
      const name = decodeURIComponent(branchRulesPath[1]!);
      const rules = (state.rules.get(name) ?? []).map((r, i) => ({
        ...r,
        ruleset_source_type: 'Repository',
        ruleset_source: `${state.owner}/${state.repo}`,
        ruleset_id: 900 + i,
      }));
      return paginate(rules, url);
    }

    if (rest === '/issues/comments' && method === 'GET') {
      const since = Date.parse(url.searchParams.get('since') ?? '');
      const descending = url.searchParams.get('direction') === 'desc';
      const items = state.comments
        .filter((c) => Number.isNaN(since) || Date.parse(c.createdAt) >= since)
        .sort((a, b) => (descending ? b.id - a.id : a.id - b.id))
        .map(commentJson);
      return paginate(items, url);
    }
    if (rest === '/issues' && method === 'GET') {
      const wantState = url.searchParams.get('state') ?? 'open';
      const wanted = (url.searchParams.get('labels') ?? '')
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean);
      const items = [...state.issues.values()]
        .filter((i) => wantState === 'all' || i.state === wantState)
        .filter((i) => wanted.every((l) => i.labels.some((have) => have.toLowerCase() === l)))
        .filter((i) => {
          const since = Date.parse(url.searchParams.get('since') ?? '');
          return Number.isNaN(since) || Date.parse(i.updatedAt) >= since;
        })
        .sort((a, b) => {
          const byUpdate = url.searchParams.get('sort') === 'updated';
          const order = byUpdate
            ? Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.number - b.number
            : a.number - b.number;
          return url.searchParams.get('direction') === 'asc' ? order : -order;
        })
        .map(issueJson);
      return paginate(items, url);
    }
    if (rest === '/issues' && method === 'POST') {
      if (typeof input.title !== 'string' || input.title.trim() === '') {
        throw validationFailed('Issue', 'title', 'missing_field');
      }
      if (input.labels !== undefined && !isStringArray(input.labels))
        throw validationFailed('Issue', 'labels', 'invalid');
      const at = timestamp();
      const issue: FakeIssue = {
        number: state.nextNumber++,
        title: input.title,
        body: typeof input.body === 'string' ? input.body : null,
        state: 'open',
        labels: ((input.labels as string[] | undefined) ?? []).map(ensureLabel),
        user: actor,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
        isPull: false,
      };
      state.issues.set(issue.number, issue);
      return { status: 201, body: issueJson(issue) };
    }
    if (issuePath !== undefined) {
      const issue = getIssue(issuePath);
      if (method === 'GET') return { status: 200, body: issueJson(issue) };
      if (method === 'PATCH') {
        if (input.state !== undefined && input.state !== 'open' && input.state !== 'closed') {
          throw validationFailed('Issue', 'state', 'invalid');
        }
        const at = timestamp();
        if (typeof input.title === 'string') issue.title = input.title;
        if (typeof input.body === 'string') issue.body = input.body;
        if (input.state === 'closed' && issue.state === 'open') {
          issue.state = 'closed';
          issue.closedAt = at;
        } else if (input.state === 'open' && issue.state === 'closed') {
          issue.state = 'open';
          issue.closedAt = null;
        }
        issue.updatedAt = at;
        return { status: 200, body: issueJson(issue) };
      }
    }
    if (commentsPath !== undefined) {
      const issue = getIssue(commentsPath);
      if (method === 'GET') {
        const items = state.comments.filter((c) => c.issueNumber === issue.number).map(commentJson);
        return paginate(items, url);
      }
      if (method === 'POST') {
        if (typeof input.body !== 'string' || input.body.trim() === '') {
          throw validationFailed('IssueComment', 'body', 'missing_field');
        }
        const comment: FakeComment = {
          id: state.nextId++,
          issueNumber: issue.number,
          body: input.body,
          user: actor,
          createdAt: timestamp(),
        };
        state.comments.push(comment);
        issue.updatedAt = comment.createdAt;
        return { status: 201, body: commentJson(comment) };
      }
    }
    if (labelsPath !== undefined && method === 'POST') {
      const issue = getIssue(labelsPath);
      const names = Array.isArray(body) ? body : input.labels;
      if (!isStringArray(names) || names.length === 0) throw validationFailed('Label', 'labels', 'invalid');
      for (const name of names) {
        const canonical = ensureLabel(name);
        if (!issue.labels.some((l) => l.toLowerCase() === canonical.toLowerCase()))
          issue.labels.push(canonical);
      }
      issue.updatedAt = timestamp();
      return { status: 200, body: issue.labels.map(labelJson) };
    }
    if (labelPath && method === 'DELETE') {
      const issue = getIssue(Number(labelPath[1]));
      const name = decodeURIComponent(labelPath[2]!).toLowerCase();
      const kept = issue.labels.filter((l) => l.toLowerCase() !== name);
      if (kept.length === issue.labels.length) {
        throw new HttpFailure(404, {
          message: 'Label does not exist',
          documentation_url: 'https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue',
        });
      }
      issue.labels = kept;
      issue.updatedAt = timestamp();
      return { status: 200, body: issue.labels.map(labelJson) };
    }
    if (permissionPath && method === 'GET') {
      const name = decodeURIComponent(permissionPath[1]!);
      const permission = permissionOf(name);
      if (permission === undefined) throw notFound();
      return {
        status: 200,
        body: { permission: LEGACY_PERMISSION[permission], role_name: permission, user: user(name) },
      };
    }
    if (rest === '/pulls' && method === 'GET') {
      const wantState = url.searchParams.get('state') ?? 'open';
      const descending = (url.searchParams.get('direction') ?? 'desc') === 'desc';
      const items = [...state.pulls.values()]
        .filter((p) => wantState === 'all' || state.issues.get(p.number)?.state === wantState)
        .sort((a, b) => (descending ? b.number - a.number : a.number - b.number))
        .map(pullJson);
      return paginate(items, url);
    }
    if (rest === '/pulls' && method === 'POST') {
      for (const field of ['title', 'head', 'base'] as const) {
        if (typeof input[field] !== 'string' || (input[field] as string).trim() === '') {
          throw validationFailed('PullRequest', field, 'missing_field');
        }
      }
      const head = input.head as string;
      const base = input.base as string;
      if (head === base) {
        throw validationFailed('PullRequest', 'base', 'custom', `No commits between ${base} and ${head}`);
      }
      const duplicate = [...state.pulls.values()].find(
        (p) => p.head === head && p.base === base && state.issues.get(p.number)?.state === 'open',
      );
      if (duplicate) {
        throw validationFailed(
          'PullRequest',
          'head',
          'custom',
          `A pull request already exists for ${state.owner}:${head}.`,
        );
      }
      const at = timestamp();
      const issue: FakeIssue = {
        number: state.nextNumber++,
        title: input.title as string,
        body: typeof input.body === 'string' ? input.body : null,
        state: 'open',
        labels: [],
        user: actor,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
        isPull: true,
      };
      const pull: FakePull = {
        number: issue.number,
        head,
        base,
        headSha: (options.gitDir && branchSha(options.gitDir, head)) || sha(head),
        mergedAt: null,
        mergeCommitSha: null,
        mergeMethod: null,
        mergeCommitTitle: null,
        mergeCommitMessage: null,
        mergeSha: null,
      };
      state.issues.set(issue.number, issue);
      state.pulls.set(pull.number, pull);
      return { status: 201, body: pullJson(pull) };
    }
    if (pullPath !== undefined && method === 'GET') {
      return { status: 200, body: pullJson(getPull(pullPath)) };
    }
    if (pullPath !== undefined && method === 'PATCH') {
      const pull = getPull(pullPath);
      const issue = getIssue(pull.number);
      if (input.state !== undefined && input.state !== 'open' && input.state !== 'closed') {
        throw validationFailed('PullRequest', 'state', 'invalid');
      }
      if (input.state === 'open' && issue.state === 'closed') {
        if (pull.mergedAt !== null) {
          throw validationFailed('PullRequest', 'state', 'custom', 'Cannot reopen a merged pull request');
        }
        const other = [...state.pulls.values()].find(
          (p) =>
            p.number !== pull.number &&
            p.head === pull.head &&
            p.base === pull.base &&
            state.issues.get(p.number)?.state === 'open',
        );
        if (other) {
          throw validationFailed(
            'PullRequest',
            'state',
            'custom',
            `A pull request already exists for ${state.owner}:${pull.head}.`,
          );
        }
      }
      const at = timestamp();
      if (typeof input.title === 'string') issue.title = input.title;
      if (typeof input.body === 'string') issue.body = input.body;
      if (typeof input.base === 'string' && input.base.trim() !== '') pull.base = input.base;
      if (input.state === 'closed' && issue.state === 'open') {
        issue.state = 'closed';
        issue.closedAt = at;
      } else if (input.state === 'open' && issue.state === 'closed') {
        issue.state = 'open';
        issue.closedAt = null;
      }
      issue.updatedAt = at;
      return { status: 200, body: pullJson(pull) };
    }
    if (mergePath !== undefined && method === 'PUT') {
      const pull = getPull(mergePath);
      const issue = getIssue(pull.number);
      const mergeMethod = input.merge_method ?? 'merge';
      if (mergeMethod !== 'merge' && mergeMethod !== 'squash' && mergeMethod !== 'rebase') {
        throw validationFailed('PullRequest', 'merge_method', 'invalid');
      }
      for (const field of ['commit_title', 'commit_message', 'sha'] as const) {
        if (input[field] !== undefined && typeof input[field] !== 'string') {
          throw validationFailed('PullRequest', field, 'invalid');
        }
      }
      if (issue.state !== 'open' || state.unmergeable.has(pull.number)) {
        throw new HttpFailure(405, { message: 'Pull Request is not mergeable' });
      }
      // Branch protection, as GitHub enforces it on the merge itself.
      const unmet = requiredChecksUnmet(pull);
      if (unmet) throw new HttpFailure(405, { message: unmet });
      if (state.mergeableStates.get(pull.number) === 'blocked') {
        throw new HttpFailure(405, {
          message: 'At least 1 approving review is required by reviewers with write access.',
        });
      }
      if (input.sha !== undefined && input.sha !== pull.headSha) {
        throw new HttpFailure(409, {
          message: 'Head branch was modified. Review and try the merge again.',
          documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request',
        });
      }
      let written: string | undefined;
      if (options.gitDir) {
        const merged = mergeBranches(options.gitDir, {
          base: pull.base,
          head: pull.head,
          method: mergeMethod,
          title: (input.commit_title as string | undefined) ?? `${issue.title} (#${pull.number})`,
          message: (input.commit_message as string | undefined) ?? '',
        });
        if (!merged.ok) throw new HttpFailure(405, { message: merged.message });
        written = merged.sha;
      }
      const at = timestamp();
      pull.mergedAt = at;
      pull.mergeMethod = mergeMethod;
      pull.mergeCommitTitle = (input.commit_title as string | undefined) ?? null;
      pull.mergeCommitMessage = (input.commit_message as string | undefined) ?? null;
      pull.mergeSha = (input.sha as string | undefined) ?? null;
      pull.mergeCommitSha = written ?? sha(`${pull.head}->${pull.base}#${pull.number}`);
      issue.state = 'closed';
      issue.closedAt = at;
      issue.updatedAt = at;
      return {
        status: 200,
        body: { sha: pull.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' },
      };
    }
    throw notFound();
  };

  const takeScripted = (method: string, path: string): ScriptedResponse | undefined => {
    const index = state.scripted.findIndex(
      (s) =>
        (s.method === undefined || s.method.toUpperCase() === method) &&
        (s.path === undefined || (typeof s.path === 'string' ? s.path === path : s.path.test(path))),
    );
    if (index < 0) return undefined;
    const scripted = state.scripted[index]!;
    const left = (scripted.times ?? 1) - 1;
    if (left <= 0) state.scripted.splice(index, 1);
    else state.scripted[index] = { ...scripted, times: left };
    return scripted;
  };

  const send = (res: ServerResponse, reply: Reply) => {
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - state.rateLimitedRequests)),
      'x-ratelimit-used': String(state.rateLimitedRequests),
      'x-ratelimit-reset': String(Math.floor(now().getTime() / 1000) + 3600),
      'x-github-api-version-selected': '2022-11-28',
      ...reply.headers,
    });
    res.end(payload);
  };

  /** GitHub's conditional requests: a GET whose answer still has the caller's etag is a free 304. */
  const conditional = (req: IncomingMessage, method: string, reply: Reply): Reply => {
    if (method !== 'GET' || reply.status !== 200) {
      state.rateLimitedRequests++;
      return reply;
    }
    const etag = `W/"${createHash('sha1')
      .update(JSON.stringify(reply.body ?? null))
      .digest('hex')}"`;
    const wanted = String(req.headers['if-none-match'] ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (wanted.includes(etag) || wanted.includes('*')) {
      state.notModifiedRequests++;
      return { status: 304, body: undefined, headers: { etag } };
    }
    state.rateLimitedRequests++;
    return { ...reply, headers: { ...reply.headers, etag } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', origin);
    const text = await readBody(req);
    let body: unknown;
    let badJson = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        badJson = true;
      }
    }
    state.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: badJson ? text : body,
    });

    const scripted = takeScripted(method, url.pathname);
    if (scripted) {
      send(res, { status: scripted.status, body: scripted.body ?? {}, headers: scripted.headers });
      return;
    }
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const actor = auth ? state.tokens.get(auth[1]!) : undefined;
    if (actor === undefined) {
      send(res, {
        status: 401,
        body: {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        },
      });
      return;
    }
    if (badJson) {
      send(res, { status: 400, body: { message: 'Problems parsing JSON' } });
      return;
    }
    try {
      send(res, conditional(req, method, route(method, url, body, actor)));
    } catch (err) {
      state.rateLimitedRequests++;
      if (err instanceof HttpFailure) send(res, { status: err.status, body: err.body });
      else send(res, { status: 500, body: { message: `fake GitHub server error: ${String(err)}` } });
    }
  };

  const server = await serveHttp(handle, {
    onError: (err, res) => send(res, { status: 500, body: { message: String(err) } }),
  });
  origin = server.url;

  return {
    url: origin,
    state,
    script: (response) => {
      state.scripted.push(response);
    },
    close: server.close,
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.trim() !== '');
}

/** A stable fake commit sha derived from a name. */
function sha(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(5);
}

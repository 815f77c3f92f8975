import { createHash } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { checkNumber, ForgeError, optionalComment, parseInput } from './errors.ts';
import { readJsonFile, writeJsonAtomic } from './files.ts';
import { errnoCode, FileLock, type FileLockOptions } from './lock.ts';
import { defaultForgeLogger, type Logger } from './log.ts';
import {
  type BranchProtection,
  BranchSchema,
  type Changes,
  type ChangesQuery,
  ChangesQuerySchema,
  type CheckState,
  type Comment,
  CommentBodySchema,
  type CommitCheck,
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
  IssueStateSchema,
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
  PullRequestStateSchema,
} from './types.ts';

export const DEFAULT_LOCAL_FORGE_DIR = '.data/forge';

// On-disk records. url/path are derived on read so that the directory can be moved.
const Timestamp = z.iso.datetime({ offset: true });

const StoredCommentSchema = z.object({
  id: z.number().int().positive(),
  body: z.string(),
  author: z.string().optional(),
  createdAt: Timestamp,
});
type StoredComment = z.infer<typeof StoredCommentSchema>;

const StoredIssueSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  state: IssueStateSchema,
  labels: z.array(z.string()),
  author: z.string().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Timestamp.optional(),
  comments: z.array(StoredCommentSchema),
});
type StoredIssue = z.infer<typeof StoredIssueSchema>;

const StoredPullSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  state: PullRequestStateSchema,
  head: z.string(),
  base: z.string(),
  author: z.string().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Timestamp.optional(),
  mergedAt: Timestamp.optional(),
  mergeMethod: MergeOptionsSchema.shape.method.optional(),
  /** What the merge was asked for, as GitHub would have been asked. */
  commitTitle: z.string().optional(),
  commitMessage: z.string().optional(),
  mergeHeadSha: z.string().optional(),
  mergeCommitSha: z.string().optional(),
  comments: z.array(StoredCommentSchema),
});
type StoredPull = z.infer<typeof StoredPullSchema>;

const CounterSchema = z.object({ last: z.number().int().nonnegative() });

/** `collaborators.json`: `{ "<login>": "<permission>" }`, written by the operator. */
const CollaboratorsSchema = z.record(LoginSchema, PermissionSchema);

const StoredStatusSchema = z.object({
  context: z.string().min(1),
  state: CommitStatusInputSchema.shape.state,
  description: z.string().optional(),
  targetUrl: z.string().optional(),
  updatedAt: Timestamp,
});
/** `statuses/<sha>.json`: the commit statuses reported on one commit, one per context. */
const StoredStatusesSchema = z.array(StoredStatusSchema);

/**
 * `protection.json`, written by the operator: what each branch requires before a merge, e.g.
 * `{ "main": { "requiredChecks": ["test"] } }`. A branch not listed is unprotected.
 */
const ProtectionFileSchema = z.record(
  z.string().min(1),
  z
    .object({
      requiredChecks: z.array(z.string().trim().min(1)).default([]),
      strict: z.boolean().default(false),
      requiredApprovingReviews: z.number().int().nonnegative().nullable().default(null),
    })
    .strict(),
);

type Kind = 'issues' | 'pulls';
type Stored<K extends Kind> = K extends 'issues' ? StoredIssue : StoredPull;
const STORED_SCHEMAS = { issues: StoredIssueSchema, pulls: StoredPullSchema } as const;
const ITEM_FILE = /^(\d+)\.json$/;

export interface LocalForgeOptions {
  /** Directory holding the forge (created on first write). Default `.data/forge`, resolved against cwd. */
  dir?: string;
  /**
   * Recorded as the author of everything this instance creates (an issue may name its own). It is
   * the operator on this machine: `getPermission` says `admin` for it, and `viewer()` returns it.
   */
  author?: string;
  /** Permissions by login, on top of `<dir>/collaborators.json` (these win). */
  collaborators?: Record<string, Permission>;
  now?: () => Date;
  lock?: Pick<FileLockOptions, 'leaseMs' | 'timeoutMs'>;
  logger?: Logger;
}

/**
 * A forge in plain files: `issues/<n>.json`, `pulls/<n>.json` (comments inside), `counter.json`
 * (last number handed out; issues and PRs share the sequence as on GitHub), `.lock`, and
 * optionally `collaborators.json` (permissions by login, read on every `getPermission`).
 * Every write happens under the cross-process lock and lands by atomic rename; every read is
 * validated, and a damaged file is reported as `corrupt`, naming it.
 */
export class LocalForge implements Forge {
  readonly kind = 'local' as const;
  readonly dir: string;
  private readonly lock: FileLock;
  private readonly now: () => Date;
  private readonly author: string | undefined;
  private readonly collaborators: ReadonlyMap<string, Permission>;
  private readonly logger: Logger;

  constructor(options: LocalForgeOptions = {}) {
    this.dir = resolve(options.dir ?? DEFAULT_LOCAL_FORGE_DIR);
    this.now = options.now ?? (() => new Date());
    this.author =
      options.author === undefined ? undefined : parseInput(LoginSchema, options.author, 'forge author');
    this.collaborators = byLogin(
      parseInput(CollaboratorsSchema, options.collaborators ?? {}, 'collaborators', { dir: this.dir }),
    );
    this.logger = (options.logger ?? defaultForgeLogger).child({ forge: 'local', dir: this.dir });
    this.lock = new FileLock(join(this.dir, '.lock'), { ...options.lock, logger: this.logger });
  }

  async createIssue(input: CreateIssueInput): Promise<Issue> {
    const data = parseInput(CreateIssueInputSchema, input, 'issue');
    const stored = await this.locked(async () => {
      const number = await this.nextNumber();
      const at = this.timestamp();
      const issue: StoredIssue = {
        number,
        title: data.title,
        body: data.body,
        state: 'open',
        labels: mergeLabels([], data.labels ?? []),
        author: data.author ?? this.author,
        createdAt: at,
        updatedAt: at,
        comments: [],
      };
      // Item first, counter second: a crash in between is healed by nextNumber() looking at the files.
      await writeJsonAtomic(this.itemPath('issues', number), issue);
      await writeJsonAtomic(this.counterPath(), { last: number });
      return issue;
    });
    this.logger.info({ issue: stored.number }, 'issue created');
    return this.toIssue(stored);
  }

  async getIssue(number: number): Promise<Issue> {
    return this.toIssue(await this.readIssue(checkNumber(number)));
  }

  async listIssues(query: ListIssuesQuery = {}): Promise<Issue[]> {
    const q = parseInput(ListIssuesQuerySchema, query, 'issue query');
    const wanted = (q.labels ?? []).map((l) => l.toLowerCase());
    const issues = await this.readAll('issues');
    return issues
      .filter((i) => q.state === 'all' || i.state === q.state)
      .filter((i) => {
        const have = new Set(i.labels.map((l) => l.toLowerCase()));
        return wanted.every((l) => have.has(l));
      })
      .map((i) => this.toIssue(i));
  }

  async commentOnIssue(number: number, body: string): Promise<Comment> {
    const text = parseInput(CommentBodySchema, body, 'comment', { number });
    return this.addComment('issues', checkNumber(number), text);
  }

  async listComments(number: number): Promise<Comment[]> {
    const n = checkNumber(number);
    const issue = await this.readItem('issues', n);
    if (issue) return issue.comments.map((c) => this.toComment('issues', n, c));
    const pull = await this.readItem('pulls', n);
    if (pull) return pull.comments.map((c) => this.toComment('pulls', n, c));
    throw new ForgeError('not_found', `no issue or pull request #${n} in ${this.dir}`, { number: n });
  }

  async closeIssue(number: number, comment?: string): Promise<Issue> {
    const stored = await this.setState('issues', number, 'closed', comment);
    this.logger.info({ issue: stored.number }, 'issue closed');
    return this.toIssue(stored);
  }

  async reopenIssue(number: number, comment?: string): Promise<Issue> {
    const stored = await this.setState('issues', number, 'open', comment);
    this.logger.info({ issue: stored.number }, 'issue reopened');
    return this.toIssue(stored);
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    const n = checkNumber(number);
    const add = parseInput(LabelsSchema, labels, 'labels', { number });
    const stored = await this.mutate('issues', n, (issue) => {
      issue.labels = mergeLabels(issue.labels, add);
      issue.updatedAt = this.timestamp();
    });
    return stored.labels;
  }

  async removeLabel(number: number, label: string): Promise<string[]> {
    const n = checkNumber(number);
    const name = parseInput(LabelSchema, label, 'label', { number }).toLowerCase();
    const current = await this.readIssue(n);
    if (!current.labels.some((l) => l.toLowerCase() === name)) return current.labels;
    const stored = await this.mutate('issues', n, (issue) => {
      const kept = issue.labels.filter((l) => l.toLowerCase() !== name);
      if (kept.length !== issue.labels.length) {
        issue.labels = kept;
        issue.updatedAt = this.timestamp();
      }
    });
    return stored.labels;
  }

  async createPullRequest(input: CreatePullRequestInput): Promise<PullRequest> {
    const data = parseInput(CreatePullRequestInputSchema, input, 'pull request');
    const stored = await this.locked(async () => {
      const open = (await this.readAll('pulls')).find(
        (p) => p.state === 'open' && p.head === data.head && p.base === data.base,
      );
      if (open) {
        throw new ForgeError(
          'conflict',
          `a pull request already exists for ${data.head} into ${data.base}: #${open.number}`,
          { head: data.head, base: data.base, existing: open.number },
        );
      }
      const number = await this.nextNumber();
      const at = this.timestamp();
      const pull: StoredPull = {
        number,
        title: data.title,
        body: data.body,
        state: 'open',
        head: data.head,
        base: data.base,
        author: this.author,
        createdAt: at,
        updatedAt: at,
        comments: [],
      };
      await writeJsonAtomic(this.itemPath('pulls', number), pull);
      await writeJsonAtomic(this.counterPath(), { last: number });
      return pull;
    });
    this.logger.info({ pull: stored.number, head: stored.head, base: stored.base }, 'pull request created');
    return this.toPull(stored);
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    return this.toPull(await this.readPull(checkNumber(number)));
  }

  async listPullRequests(query: ListPullRequestsQuery = {}): Promise<PullRequest[]> {
    const q = parseInput(ListPullRequestsQuerySchema, query, 'pull request query');
    const pulls = await this.readAll('pulls');
    return pulls.filter((p) => q.state === 'all' || p.state === q.state).map((p) => this.toPull(p));
  }

  async commentOnPullRequest(number: number, body: string): Promise<Comment> {
    const text = parseInput(CommentBodySchema, body, 'comment', { number });
    return this.addComment('pulls', checkNumber(number), text);
  }

  async mergePullRequest(number: number, options: MergeOptions = {}): Promise<PullRequest> {
    const n = checkNumber(number);
    const merge = parseInput(MergeOptionsSchema, options, 'merge options', { number });
    const { method } = merge;
    const stored = await this.mutate('pulls', n, (pull) => {
      if (pull.state !== 'open') {
        throw new ForgeError('conflict', `pull request #${n} is ${pull.state}, not open: cannot merge it`, {
          number: n,
          state: pull.state,
        });
      }
      const at = this.timestamp();
      pull.state = 'merged';
      pull.mergedAt = at;
      pull.closedAt = at;
      pull.updatedAt = at;
      pull.mergeMethod = method;
      if (merge.commitTitle !== undefined) pull.commitTitle = merge.commitTitle;
      if (merge.commitMessage !== undefined) pull.commitMessage = merge.commitMessage;
      if (merge.sha !== undefined) pull.mergeHeadSha = merge.sha;
      if (merge.mergeCommitSha !== undefined) pull.mergeCommitSha = merge.mergeCommitSha;
    });
    this.logger.info({ pull: n, method, mergeCommitSha: stored.mergeCommitSha }, 'pull request merged');
    return this.toPull(stored);
  }

  async closePullRequest(number: number, comment?: string): Promise<PullRequest> {
    const stored = await this.setState('pulls', number, 'closed', comment);
    this.logger.info({ pull: stored.number, state: stored.state }, 'pull request closed');
    return this.toPull(stored);
  }

  async listIssueChanges(query: IssueChangesQuery = {}): Promise<Changes<Issue>> {
    const q = parseInput(IssueChangesQuerySchema, query, 'changes query');
    // The tag is taken before reading: a write in between makes the next tag differ, never hides it.
    const etag = await this.changeTag(['issues'], `${q.state} issues since ${q.since ?? '-'}`);
    if (q.etag === etag) return { changed: false, etag };
    const since = q.since ? Date.parse(q.since) : Number.NEGATIVE_INFINITY;
    const items = (await this.readAll('issues'))
      .filter((i) => (q.state === 'all' || i.state === q.state) && Date.parse(i.updatedAt) >= since)
      .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.number - b.number)
      .map((i) => this.toIssue(i));
    return { changed: true, etag, items };
  }

  async listCommentChanges(query: ChangesQuery = {}): Promise<Changes<IssueComment>> {
    const q = parseInput(ChangesQuerySchema, query, 'changes query');
    const etag = await this.changeTag(['issues', 'pulls'], `comments since ${q.since ?? '-'}`);
    if (q.etag === etag) return { changed: false, etag };
    const since = q.since ? Date.parse(q.since) : Number.NEGATIVE_INFINITY;
    const items: IssueComment[] = [];
    for (const kind of ['issues', 'pulls'] as const) {
      for (const item of await this.readAll(kind)) {
        for (const c of item.comments) {
          if (Date.parse(c.createdAt) < since) continue;
          items.push({ ...this.toComment(kind, item.number, c), issue: item.number, updatedAt: c.createdAt });
        }
      }
    }
    items.sort(
      (a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.issue - b.issue || a.id - b.id,
    );
    return { changed: true, etag, items };
  }

  async getPermission(login: string): Promise<Permission> {
    const key = parseInput(LoginSchema, login, 'login').toLowerCase();
    if (this.author !== undefined && this.author.toLowerCase() === key) return 'admin';
    const fromOption = this.collaborators.get(key);
    if (fromOption) return fromOption;
    const path = join(this.dir, 'collaborators.json');
    const fromFile = byLogin((await readJsonFile(path, CollaboratorsSchema)) ?? {});
    return fromFile.get(key) ?? 'none';
  }

  async viewer(): Promise<string | undefined> {
    return this.author;
  }

  /** Statuses recorded with `setCommitStatus` (there is no CI here); `ref` is a full commit sha. */
  async listCommitChecks(ref: string): Promise<CommitCheck[]> {
    const commit = parseInput(CommitRefSchema, ref, 'commit ref');
    if (!CommitShaSchema.safeParse(commit).success) return [];
    const statuses = (await readJsonFile(this.statusPath(commit), StoredStatusesSchema)) ?? [];
    return statuses
      .map((s) => ({
        name: s.context,
        state: localCheckState(s.state),
        source: 'status' as const,
        detail: s.state,
        ...(s.targetUrl ? { url: s.targetUrl } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async setCommitStatus(sha: string, status: CommitStatusInput): Promise<void> {
    const commit = parseInput(CommitShaSchema, sha, 'commit sha').toLowerCase();
    const input = parseInput(CommitStatusInputSchema, status, 'commit status', { sha: commit });
    await this.locked(async () => {
      await mkdir(join(this.dir, 'statuses'), { recursive: true });
      const path = this.statusPath(commit);
      const kept = ((await readJsonFile(path, StoredStatusesSchema)) ?? []).filter(
        (s) => s.context !== input.context,
      );
      kept.push({
        context: input.context,
        state: input.state,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.targetUrl !== undefined ? { targetUrl: input.targetUrl } : {}),
        updatedAt: this.timestamp(),
      });
      await writeJsonAtomic(path, kept);
    });
  }

  /** From `protection.json` (read on every call, like `collaborators.json`). */
  async getBranchProtection(branch: string): Promise<BranchProtection> {
    const name = parseInput(BranchSchema, branch, 'branch');
    const file = (await readJsonFile(join(this.dir, 'protection.json'), ProtectionFileSchema)) ?? {};
    const rule = file[name];
    return {
      branch: name,
      protected: rule !== undefined,
      requiredChecks: [...new Set(rule?.requiredChecks ?? [])].sort(),
      strict: rule?.strict ?? false,
      requiredApprovingReviews: rule?.requiredApprovingReviews ?? null,
    };
  }

  // --- storage ---

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    // The lock file lives in the directory, so the directories must exist before locking.
    try {
      await mkdir(join(this.dir, 'issues'), { recursive: true });
      await mkdir(join(this.dir, 'pulls'), { recursive: true });
    } catch (err) {
      throw new ForgeError(
        'unavailable',
        `cannot create forge directory ${this.dir}: ${String(err)}`,
        {
          dir: this.dir,
        },
        { cause: err },
      );
    }
    return this.lock.withLock(fn);
  }

  private itemPath(kind: Kind, number: number): string {
    return join(this.dir, kind, `${number}.json`);
  }

  private statusPath(sha: string): string {
    return join(this.dir, 'statuses', `${sha.toLowerCase()}.json`);
  }

  private counterPath(): string {
    return join(this.dir, 'counter.json');
  }

  private timestamp(): string {
    return this.now().toISOString();
  }

  /** One past the highest number in use; the files are consulted too, so a lost counter never reuses a number. */
  private async nextNumber(): Promise<number> {
    const counter = await readJsonFile(this.counterPath(), CounterSchema);
    const numbers = [...(await this.fileNumbers('issues')), ...(await this.fileNumbers('pulls'))];
    return Math.max(counter?.last ?? 0, ...numbers) + 1;
  }

  /**
   * A tag of the items' files (name, inode, size, mtime) without reading them: every write renames
   * a new file into place, so any change gives a new inode and a new tag.
   */
  private async changeTag(kinds: Kind[], query: string): Promise<string> {
    const hash = createHash('sha256').update(query);
    for (const kind of kinds) {
      for (const n of (await this.fileNumbers(kind)).sort((a, b) => a - b)) {
        const path = this.itemPath(kind, n);
        try {
          const s = await stat(path, { bigint: true });
          hash.update(`\n${kind}/${n}:${s.ino}:${s.size}:${s.mtimeNs}`);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT')
            throw new ForgeError(
              'unavailable',
              `cannot stat ${path}: ${String(err)}`,
              { path },
              { cause: err },
            );
        }
      }
    }
    return `"local-${hash.digest('hex').slice(0, 32)}"`;
  }

  private async fileNumbers(kind: Kind): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, kind));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw new ForgeError(
        'unavailable',
        `cannot list ${join(this.dir, kind)}: ${String(err)}`,
        { dir: this.dir },
        {
          cause: err,
        },
      );
    }
    return names.flatMap((name) => {
      const m = ITEM_FILE.exec(name);
      return m ? [Number(m[1])] : [];
    });
  }

  private async readItem<K extends Kind>(kind: K, number: number): Promise<Stored<K> | undefined> {
    const path = this.itemPath(kind, number);
    // The cast only restates the kind-to-schema pairing of STORED_SCHEMAS, which TS cannot follow.
    const item = (await readJsonFile(path, STORED_SCHEMAS[kind])) as Stored<K> | undefined;
    if (item && item.number !== number) {
      throw new ForgeError('corrupt', `forge file ${path} holds #${item.number}, not #${number}`, {
        path,
        number,
      });
    }
    return item;
  }

  /** Newest first. */
  private async readAll<K extends Kind>(kind: K): Promise<Stored<K>[]> {
    const numbers = (await this.fileNumbers(kind)).sort((a, b) => b - a);
    const items: Stored<K>[] = [];
    for (const n of numbers) {
      const item = await this.readItem(kind, n);
      if (item) items.push(item);
    }
    return items;
  }

  private async readIssue(number: number): Promise<StoredIssue> {
    const issue = await this.readItem('issues', number);
    if (issue) return issue;
    throw await this.notFound('issues', number);
  }

  private async readPull(number: number): Promise<StoredPull> {
    const pull = await this.readItem('pulls', number);
    if (pull) return pull;
    throw await this.notFound('pulls', number);
  }

  private async notFound(kind: Kind, number: number): Promise<ForgeError> {
    const other: Kind = kind === 'issues' ? 'pulls' : 'issues';
    const what = kind === 'issues' ? 'issue' : 'pull request';
    const isOther = (await this.fileNumbers(other)).includes(number);
    const hint = isOther ? ` (#${number} is ${kind === 'issues' ? 'a pull request' : 'an issue'})` : '';
    return new ForgeError('not_found', `no ${what} #${number} in ${this.dir}${hint}`, {
      number,
      dir: this.dir,
    });
  }

  private async mutate<K extends Kind>(
    kind: K,
    number: number,
    change: (item: Stored<K>) => void,
  ): Promise<Stored<K>> {
    return this.locked(async () => {
      const item = await this.readItem(kind, number);
      if (!item) throw await this.notFound(kind, number);
      change(item);
      await writeJsonAtomic(this.itemPath(kind, number), item);
      return item;
    });
  }

  /**
   * Closes or reopens an issue or pull request (a merged one stays merged), with the comment first
   * when there is one, in one write.
   */
  private async setState<K extends Kind>(
    kind: K,
    number: number,
    state: 'open' | 'closed',
    comment?: string,
  ): Promise<Stored<K>> {
    const n = checkNumber(number);
    const text = optionalComment(comment, number);
    return this.mutate(kind, n, (item) => {
      const at = this.timestamp();
      if (text !== undefined) item.comments.push(this.newComment(item.comments, text, at));
      if (state === 'closed' && item.state === 'open') {
        item.state = 'closed';
        item.closedAt = at;
      } else if (state === 'open' && item.state === 'closed') {
        item.state = 'open';
        delete item.closedAt;
      }
      item.updatedAt = at;
    });
  }

  private async addComment(kind: Kind, number: number, body: string): Promise<Comment> {
    let comment: StoredComment | undefined;
    await this.mutate(kind, number, (item) => {
      const at = this.timestamp();
      comment = this.newComment(item.comments, body, at);
      item.comments.push(comment);
      item.updatedAt = at;
    });
    return this.toComment(kind, number, comment!);
  }

  private newComment(existing: StoredComment[], body: string, at: string): StoredComment {
    const id = Math.max(0, ...existing.map((c) => c.id)) + 1;
    return { id, body, author: this.author, createdAt: at };
  }

  // --- views ---

  private toIssue(issue: StoredIssue): Issue {
    const { comments: _comments, ...rest } = issue;
    return {
      ...rest,
      url: `forge://local/issues/${issue.number}`,
      path: this.itemPath('issues', issue.number),
    };
  }

  private toPull(pull: StoredPull): PullRequest {
    const {
      comments: _comments,
      closedAt: _closedAt,
      mergeMethod: _mergeMethod,
      commitTitle: _commitTitle,
      commitMessage: _commitMessage,
      mergeHeadSha: _mergeHeadSha,
      ...rest
    } = pull;
    return { ...rest, url: `forge://local/pulls/${pull.number}`, path: this.itemPath('pulls', pull.number) };
  }

  private toComment(kind: Kind, number: number, comment: StoredComment): Comment {
    return { ...comment, url: `forge://local/${kind}/${number}#comment-${comment.id}` };
  }
}

function localCheckState(state: z.infer<typeof StoredStatusSchema>['state']): CheckState {
  return state === 'error' ? 'failure' : state;
}

/** Logins compare case-insensitively, as on GitHub. */
function byLogin(record: Record<string, Permission>): Map<string, Permission> {
  return new Map(Object.entries(record).map(([login, permission]) => [login.toLowerCase(), permission]));
}

/** Union keeping first-seen spelling; GitHub treats label names case-insensitively. */
function mergeLabels(existing: string[], add: string[]): string[] {
  const out = [...existing];
  const seen = new Set(existing.map((l) => l.toLowerCase()));
  for (const label of add) {
    const key = label.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(label);
    }
  }
  return out;
}

import type { Comment, Issue, PullRequest } from '@dark-factory/forge';
import { utcMinute } from '@dark-factory/kit';
import type { ForgeInfo } from './context.ts';

// Pure text layout for the human output; the commands decide what to show, these decide how.

const GAP = '  ';
export const TITLE_WIDTH = 72;

/** Cuts `text` to `max` characters (ending in `…`) and flattens line breaks, so a row stays one line. */
export function cell(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/** Left-aligned columns separated by two spaces; the last column is not padded (no trailing blanks). */
export function table(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = header ? [header, ...rows] : [...rows];
  if (all.length === 0) return '';
  const columns = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all
    .map((row) =>
      Array.from({ length: columns }, (_, c) => {
        const value = row[c] ?? '';
        return c === columns - 1 ? value : value.padEnd(widths[c] ?? 0);
      })
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** `2025-01-02T03:04:05.678Z` → `2025-01-02 03:04Z` (forge timestamps are UTC). */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${utcMinute(d)}Z`;
}

export function issuesTable(issues: readonly Issue[]): string {
  return table(
    issues.map((i) => [
      `#${i.number}`,
      i.state,
      cell(i.labels.join(','), 30),
      shortTime(i.updatedAt),
      cell(i.title, TITLE_WIDTH),
    ]),
    ['#', 'STATE', 'LABELS', 'UPDATED', 'TITLE'],
  );
}

export function pullRequestsTable(pulls: readonly PullRequest[]): string {
  return table(
    pulls.map((p) => [
      `#${p.number}`,
      p.state,
      cell(`${p.head} → ${p.base}`, 40),
      shortTime(p.updatedAt),
      cell(p.title, TITLE_WIDTH),
    ]),
    ['#', 'STATE', 'BRANCH', 'UPDATED', 'TITLE'],
  );
}

function commentsBlock(comments: readonly Comment[]): string {
  if (comments.length === 0) return 'no comments';
  const blocks = comments.map((c) => {
    const byline = `— ${c.author ? `${c.author}, ` : ''}${shortTime(c.createdAt)}`;
    return `${byline}\n${indent(c.body)}`;
  });
  return `comments (${comments.length})\n\n${blocks.join('\n\n')}`;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line ? `  ${line}` : ''))
    .join('\n');
}

function detail(
  heading: string,
  fields: [string, string | undefined][],
  body: string,
  comments: readonly Comment[],
): string {
  const present = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const parts = [heading, table(present), body.trim() ? indent(body) : '(no description)'];
  return `${parts.join('\n\n')}\n\n${commentsBlock(comments)}`;
}

export function issueDetail(issue: Issue, comments: readonly Comment[]): string {
  return detail(
    `#${issue.number}  ${cell(issue.title)}`,
    [
      ['state', issue.state],
      ['labels', issue.labels.join(', ')],
      ['author', issue.author],
      ['created', shortTime(issue.createdAt)],
      ['updated', shortTime(issue.updatedAt)],
      ['closed', issue.closedAt && shortTime(issue.closedAt)],
      ['url', issue.url],
    ],
    issue.body,
    comments,
  );
}

export function pullRequestDetail(pull: PullRequest, comments: readonly Comment[]): string {
  return detail(
    `#${pull.number}  ${cell(pull.title)}`,
    [
      ['state', pull.state],
      ['branch', `${pull.head} → ${pull.base}`],
      ['author', pull.author],
      ['created', shortTime(pull.createdAt)],
      ['updated', shortTime(pull.updatedAt)],
      ['merged', pull.mergedAt && shortTime(pull.mergedAt)],
      ['url', pull.url],
    ],
    pull.body,
    comments,
  );
}

export function describeForge(info: ForgeInfo): string {
  return info.kind === 'local' ? `local ${info.dir}` : `github ${info.repository} (${info.apiUrl})`;
}

export interface RunSummary {
  runId: string;
  issue: number;
  /** running (live lease), stalled (lease expired: the process is gone), or the final status */
  status: string;
  stopReason: string | null;
  pr: number | null;
  /** The boundary the run's commands ran in (bubblewrap, container); null for runs from before it was recorded. */
  sandbox: string | null;
  branch: string;
  createdAt: string;
  finishedAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
}

export interface StatusReport {
  forge: ForgeInfo;
  openIssues: number;
  openPullRequests: number;
  runs: RunSummary[];
}

export function statusText(status: StatusReport): string {
  const head = table([
    ['forge', describeForge(status.forge)],
    ['issues', `${status.openIssues} open`],
    ['prs', `${status.openPullRequests} open`],
    ['runs', `${status.runs.length} recent`],
  ]);
  if (status.runs.length === 0) return head;
  const rows = status.runs.map((r) => [
    r.runId.slice(0, 8),
    `#${r.issue}`,
    r.status,
    r.stopReason ?? '',
    r.pr ? `#${r.pr}` : '',
    r.sandbox ?? '-',
    shortTime(r.createdAt),
  ]);
  return `${head}\n\n${table(rows, ['RUN', 'ISSUE', 'STATUS', 'REASON', 'PR', 'SANDBOX', 'STARTED'])}`;
}

/** `status --run`: the timeline, then every event (model calls with usage, tool calls, commands). */
export function runDetailText(detail: {
  runId: string;
  issue: number;
  status: string;
  pr: number | null;
  steps: readonly { name: string; status: string; durationMs: number }[];
  cost: { inputTokens: number; outputTokens: number; usd: number | null };
  durationMs: number;
  stopReason?: string | null;
  run: RunSummary;
  events: readonly Record<string, unknown>[];
}): string {
  const events = detail.events.map((e) => {
    const { step, kind, at, ...rest } = e as { step: string; kind: string; at: string };
    return [shortTime(at), String(step), String(kind), cell(JSON.stringify(rest), 100)];
  });
  return [
    runReportText({ ...detail, status: detail.run.status }),
    `sandbox: ${detail.run.sandbox ?? 'not recorded'}`,
    '',
    table(events, ['AT', 'STEP', 'KIND', 'DETAIL']),
  ].join('\n');
}

/** A run as a timeline: one line per step, then the outcome and its cost. */
export function runReportText(report: {
  runId: string;
  issue: number;
  status: string;
  pr: number | null;
  steps: readonly { name: string; status: string; durationMs: number }[];
  cost: { inputTokens: number; outputTokens: number; usd: number | null };
  durationMs: number;
  stopReason?: string | null;
}): string {
  const rows = report.steps.map((s) => [s.name, s.status, seconds(s.durationMs)]);
  const usd = report.cost.usd === null ? 'USD unknown' : `$${report.cost.usd.toFixed(4)}`;
  return [
    `run ${report.runId} · issue #${report.issue}`,
    table(rows, ['STEP', 'STATUS', 'TIME']),
    `→ ${report.status}${report.stopReason ? ` (${report.stopReason})` : ''}${report.pr ? ` · PR #${report.pr}` : ''} · ${seconds(report.durationMs)} · ${report.cost.inputTokens} in / ${report.cost.outputTokens} out tokens · ${usd}`,
  ].join('\n');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

import type { CostTotals, EventRecord, LedgerEntry, RunRecord, StepRecord } from '../runs/types.ts';
import { type StepDetail, stepDetail } from './steps.ts';

/**
 * Pure: a run's records (run, steps, events, ledger) → what the pages and the JSON endpoints show.
 * The status shown is the store's, except that a running run whose lease has expired is `stalled`
 * (its process is gone), as in `pnpm factory status`.
 */

export type ShownStatus = RunRecord['state'] | 'stalled';

export interface RunRow {
  runId: string;
  issue: number;
  /** The sanitised title from intake (null before intake ran). */
  title: string | null;
  status: ShownStatus;
  stopReason: string | null;
  pr: number | null;
  branch: string;
  /** The step running now, or the last one stored. */
  currentStep: string | null;
  steps: number;
  cost: { usd: number | null; knownUsd: number; calls: number; inputTokens: number; outputTokens: number };
  createdAt: string;
  finishedAt: string | null;
  durationMs: number;
  live: boolean;
  sandbox: string | null;
}

export interface ModelCallView {
  step: string;
  model: string;
  at: string;
  /** Time to the response headers of the successful attempt (null when no event matched). */
  durationMs: number | null;
  requestId: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** null: the model has no price (never shown as 0). */
  usd: number | null;
  /** Failed HTTP attempts before the one that answered (429, 5xx, connection errors). */
  retries: { status: number | null; error: string | null }[];
}

export interface FailedCallView {
  step: string;
  model: string;
  at: string;
  status: number | null;
  error: string | null;
}

export interface ToolCallView {
  step: string;
  at: string;
  tool: string;
  verdict: string;
  refused: boolean;
  target: string | null;
  reason: string | null;
  exitCode: number | null;
  durationMs: number | null;
}

export interface CommandEventView {
  step: string;
  at: string;
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number | null;
  boundary: string | null;
}

export interface NoteView {
  step: string;
  at: string;
  text: string;
}

export interface StepView {
  name: string;
  seq: number;
  status: StepRecord['status'];
  reason: string | null;
  startedAt: string;
  durationMs: number;
  detail: StepDetail;
  modelCalls: ModelCallView[];
  failedCalls: FailedCallView[];
  toolCalls: ToolCallView[];
  commands: CommandEventView[];
  notes: NoteView[];
}

export interface RunTimeline {
  run: RunRow & {
    author: string | null;
    base: string;
    baseSha: string;
    issueUrl: string | null;
  };
  steps: StepView[];
  /** Events recorded outside any stored step (a lease takeover, a step still running). */
  other: (Pick<StepView, 'modelCalls' | 'failedCalls' | 'toolCalls' | 'commands' | 'notes'> & {
    step: string;
  })[];
  ledger: CostTotals;
  /** The change the run made (the last agent step's patch), with its files. */
  diff: {
    patch: string | null;
    files: { path: string; added: number; deleted: number; status: string }[];
  } | null;
}

export function shownStatus(run: RunRecord, now: number): ShownStatus {
  if (run.state !== 'running') return run.state;
  const live = run.leaseOwner !== null && run.leaseExpiresAt !== null && run.leaseExpiresAt.getTime() > now;
  return live ? 'running' : 'stalled';
}

export function titleOf(steps: StepRecord[]): string | null {
  const intake = steps.find((s) => s.name === 'intake');
  if (!intake) return null;
  const detail = stepDetail('intake', intake.result);
  return detail.kind === 'intake' ? detail.title : null;
}

export function runRow(run: RunRecord, steps: StepRecord[], cost: CostTotals, now: number): RunRow {
  const status = shownStatus(run, now);
  const end = run.finishedAt?.getTime() ?? now;
  return {
    runId: run.id,
    issue: run.issue,
    title: titleOf(steps),
    status,
    stopReason: run.stopReason,
    pr: run.pr,
    branch: run.branch,
    currentStep: steps.at(-1)?.name ?? null,
    steps: steps.length,
    cost: {
      usd: cost.usd,
      knownUsd: cost.knownUsd,
      calls: cost.calls,
      inputTokens: cost.inputTokens + cost.cacheCreationInputTokens + cost.cacheReadInputTokens,
      outputTokens: cost.outputTokens,
    },
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: Math.max(0, end - run.createdAt.getTime()),
    live: status === 'running',
    sandbox: run.sandbox,
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function noteText(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['event', 'message', 'reason', 'detail', 'from', 'to']) {
    const value = data[key];
    if (typeof value === 'string' || typeof value === 'number') parts.push(`${key}: ${value}`);
  }
  return parts.length > 0 ? parts.join(' · ') : 'note';
}

interface EventGroups {
  modelCalls: ModelCallView[];
  failedCalls: FailedCallView[];
  toolCalls: ToolCallView[];
  commands: CommandEventView[];
  notes: NoteView[];
}

/**
 * One step's events and ledger entries. Every HTTP attempt is a model_call event; every successful
 * call a ledger entry, in the same order: the n-th 2xx attempt of a step is its n-th ledger entry.
 */
function groupEvents(step: string, events: EventRecord[], ledger: LedgerEntry[]): EventGroups {
  const groups: EventGroups = { modelCalls: [], failedCalls: [], toolCalls: [], commands: [], notes: [] };
  const entries = [...ledger];
  let pendingRetries: ModelCallView['retries'] = [];
  for (const e of events) {
    const at = e.at.toISOString();
    const d = e.data;
    if (e.kind === 'model_call') {
      const status = num(d.status);
      if (status !== null && status >= 200 && status < 300) {
        const entry = entries.shift();
        if (!entry) continue;
        groups.modelCalls.push(callView(step, entry, d, pendingRetries));
        pendingRetries = [];
      } else {
        pendingRetries.push({ status, error: str(d.error) });
        groups.failedCalls.push({ step, model: str(d.model) ?? '?', at, status, error: str(d.error) });
      }
    } else if (e.kind === 'tool_call') {
      const verdict = str(d.verdict) ?? 'unknown';
      const command = d.command as Record<string, unknown> | undefined;
      groups.toolCalls.push({
        step,
        at,
        tool: str(d.tool) ?? '?',
        verdict,
        refused: verdict === 'refused',
        target: str(d.target),
        reason: str(d.reason) ?? str(d.error),
        exitCode: command ? num(command.exitCode) : null,
        durationMs: num(d.durationMs),
      });
    } else if (e.kind === 'command') {
      groups.commands.push({
        step,
        at,
        argv: Array.isArray(d.argv) ? d.argv.map(String) : [],
        exitCode: num(d.exitCode),
        signal: str(d.signal),
        timedOut: d.timedOut === true,
        durationMs: num(d.durationMs),
        boundary: str(d.boundary),
      });
    } else {
      groups.notes.push({ step, at, text: noteText(d) });
    }
  }
  // Ledger entries without a matching attempt event (an older store): still every call is shown.
  for (const entry of entries) groups.modelCalls.push(callView(step, entry, {}, []));
  return groups;
}

function callView(
  step: string,
  entry: LedgerEntry,
  event: Record<string, unknown>,
  retries: ModelCallView['retries'],
): ModelCallView {
  return {
    step,
    model: entry.model,
    at: entry.at.toISOString(),
    durationMs: num(event.durationMs),
    requestId: str(event.requestId),
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    cacheCreationInputTokens: entry.cacheCreationInputTokens,
    cacheReadInputTokens: entry.cacheReadInputTokens,
    usd: entry.usd,
    retries,
  };
}

function byStep<T extends { step: string }>(items: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.step) ?? [];
    list.push(item);
    map.set(item.step, list);
  }
  return map;
}

export function buildTimeline(input: {
  run: RunRecord;
  steps: StepRecord[];
  events: EventRecord[];
  ledger: LedgerEntry[];
  cost: CostTotals;
  now: number;
}): RunTimeline {
  const { run, steps, cost, now } = input;
  const events = byStep(input.events);
  const ledger = byStep(input.ledger);
  const stepViews: StepView[] = steps.map((s) => {
    const groups = groupEvents(s.name, events.get(s.name) ?? [], ledger.get(s.name) ?? []);
    events.delete(s.name);
    ledger.delete(s.name);
    return {
      name: s.name,
      seq: s.seq,
      status: s.status,
      reason: s.reason,
      startedAt: s.startedAt.toISOString(),
      durationMs: s.durationMs,
      detail: stepDetail(s.name, s.result),
      ...groups,
    };
  });
  const otherNames = [...new Set([...events.keys(), ...ledger.keys()])];
  const other = otherNames.map((name) => ({
    step: name,
    ...groupEvents(name, events.get(name) ?? [], ledger.get(name) ?? []),
  }));
  const intake = stepViews.find((s) => s.name === 'intake')?.detail;
  const lastAgent = [...stepViews].reverse().find((s) => s.detail.kind === 'agent' && s.detail.ok);
  const diff =
    lastAgent && lastAgent.detail.kind === 'agent'
      ? {
          patch: lastAgent.detail.patch,
          files: lastAgent.detail.files.map((f) => ({
            path: f.path,
            added: f.added,
            deleted: f.deleted,
            status: f.status,
          })),
        }
      : null;
  return {
    run: {
      ...runRow(run, steps, cost, now),
      author: run.author,
      base: run.base,
      baseSha: run.baseSha,
      issueUrl: intake?.kind === 'intake' ? intake.url : null,
    },
    steps: stepViews,
    other,
    ledger: cost,
    diff,
  };
}

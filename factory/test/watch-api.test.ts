/**
 * The watch app in-process (Hono's app.request) over a real run store (PGlite), seeded through the
 * store's own write API with step results typed by the steps' schemas: the JSON endpoints, the
 * pages, query validation, read-only, the live stream, and that secrets (redacted where events
 * and step results are written) and the sealed holdout's texts never reach the public.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalForge } from '@dark-factory/forge';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationOutcome } from '../src/engine/validation.ts';
import { createWebhookRoutes } from '../src/intake/webhook.ts';
import type { Db } from '../src/runs/db.ts';
import { createSqlRunStore } from '../src/runs/store.ts';
import type { RunRecord, RunStore } from '../src/runs/types.ts';
import { createFactoryApp } from '../src/server/app.ts';
import type { AgentResult } from '../src/steps/agent-loop.ts';
import type { GateResult, HoldoutResult } from '../src/steps/gate/result.ts';
import type { IntakeResult } from '../src/steps/intake.ts';
import type { MergeResult } from '../src/steps/merge.ts';
import type { PlanResult } from '../src/steps/plan.ts';
import type { ReviewResult } from '../src/steps/review.ts';
import type { TriageResult } from '../src/steps/triage.ts';
import type { CommandOutcome } from '../src/steps/validate.ts';
import type { VerifyResult } from '../src/steps/verify.ts';
import { createWatchApp } from '../src/watch/app.ts';
import { HOLDOUT_MARK, holdoutStrings } from '../src/watch/redaction.ts';
import type { RunRow, RunTimeline } from '../src/watch/timeline.ts';
import { deliver, issuePayload, RecordingQueue, serveApp, testPolicy } from './support/intake-rig.ts';
import { openSeededDb } from './support/pglite-template.ts';

const silent = pino({ level: 'silent' });
/** A secret of the factory's process (its env): the store replaces it when events are written. */
const STORE_SECRET = 'factory-process-secret-value-9f3a';
/** A secret only the server knows (e.g. stored by an older factory that did not redact). */
const SERVER_SECRET = 'server-only-secret-value-77c1';
const GH_TOKEN = `ghp_${'a1B2c3D4'.repeat(4)}`;
const HOLDOUT_QUERY = 'what did the sealed holdout video say about quantum gardening';
const XSS_TITLE = 'Search breaks on <script>alert(1)</script> & quotes "x"';

let db: Db;
let store: RunStore;
let rawStore: RunStore;
let holdoutDir: string;
let app: ReturnType<typeof createWatchApp>;
let merged: RunRecord;
let running: RunRecord;
let rejected: RunRecord;
const OWNER = 'watch-test-owner';

function intake(issue: number, title: string, author = 'alice'): IntakeResult {
  return {
    issue: {
      number: issue,
      title,
      body: 'body',
      author,
      url: `forge://local/issues/${issue}`,
      labels: ['bug'],
    },
    comments: [],
    ignoredComments: 0,
    removed: { htmlComments: 1, zeroWidth: 0, bidi: 0 },
    hash: 'f'.repeat(64),
    bodyChars: 4,
  };
}

function command(name: string, exitCode: number, output: string): CommandOutcome {
  return {
    name,
    command: `pnpm exec ${name}`,
    argv: ['pnpm', 'exec', name],
    status: exitCode === 0 ? 'passed' : 'failed',
    exitCode,
    signal: null,
    timedOut: false,
    durationMs: 420,
    output,
    boundary: 'bubblewrap',
  };
}

const metric = (name: string, main: number, candidate: number) => ({
  metric: name,
  main,
  candidate,
  delta: candidate - main,
  lo: candidate - main - 0.01,
  hi: candidate - main + 0.01,
  floor: null,
  maxDrop: 0.02,
  status: 'pass' as const,
});

const gate: GateResult = {
  pass: true,
  exitCode: 0,
  markdown: '### Evals: ✅ gate passed',
  // A judge's error line that quotes a holdout case: the page must not repeat it.
  reasons: [`judge note: case "${HOLDOUT_QUERY}" took long`],
  metrics: [metric('hitAt1Moment', 0.7, 0.72), metric('linkAt1', 0.5, 0.49)],
  latency: { mainP95Ms: 30, candidateP95Ms: 31, ratio: 1.03, maxRatio: 1.5, graceMs: 75, status: 'pass' },
  failedCalls: null,
  cases: { main: 34, candidate: 34, paired: 34 },
  method: 'paired-bootstrap',
  mainCached: false,
  latencyRecheck: false,
  judgeSha: 'b'.repeat(40),
  measurements: {
    main: { durationMs: 1000, ingestMs: 100, serverStartMs: 100, evalsMs: 700, holdoutMs: null },
    candidate: null,
  },
  durationMs: 2000,
};

const holdout: HoldoutResult = {
  pass: true,
  exitCode: 0,
  cases: { main: 5, candidate: 5 },
  aggregates: { hitAt1Moment: { main: 0.6, candidate: 0.6 } },
  failed: [],
};

async function step(
  runId: string,
  name: string,
  status: 'ok' | 'failed' | 'refused' | 'skipped',
  result: unknown,
  reason: string | null = null,
) {
  await store.saveStep(
    { runId, name, status, reason, result, startedAt: new Date(), durationMs: 1234 },
    { owner: OWNER },
  );
}

async function modelCall(
  runId: string,
  stepName: string,
  model: string,
  status = 200,
  error: string | null = null,
) {
  await store.addEvent({
    runId,
    step: stepName,
    kind: 'model_call',
    data: {
      step: stepName,
      issue: 1,
      attempt: 0,
      model,
      retry: status === 200 ? 0 : 0,
      streamed: true,
      status,
      durationMs: 12,
      requestId: 'req_1',
      error,
    },
  });
  if (status === 200) {
    await store.addLedgerEntry({
      runId,
      step: stepName,
      model,
      inputTokens: 1200,
      outputTokens: 180,
      cacheCreationInputTokens: 300,
      cacheReadInputTokens: 0,
      usd: 0.0125,
    });
  }
}

const newRun = (issue: number) => ({
  issue,
  author: 'alice',
  base: 'main',
  baseSha: 'c0ffee'.padEnd(40, '0'),
  branch: `factory/${issue}-fix`,
  repo: '/repo',
});

async function seed(): Promise<void> {
  // Run 1: accepted, a refused write, a failing lint, a fix round, the gate, review, merged.
  merged = await store.createRun(newRun(1), { owner: OWNER, ttlMs: 60_000 });
  const id = merged.id;
  await step(id, 'intake', 'ok', intake(1, XSS_TITLE));
  await modelCall(id, 'triage', 'claude-haiku-4-5');
  await step(id, 'triage', 'ok', {
    decision: 'accept',
    kind: 'bug',
    priority: 'normal',
    reason: 'in scope',
  } satisfies TriageResult);
  await modelCall(id, 'plan', 'claude-sonnet-4-6');
  await step(id, 'plan', 'ok', {
    status: 'ok',
    summary: 'Fix the search',
    steps: ['edit'],
    files: ['rag-app/src/retrieve/search.ts'],
    risks: [],
    turns: 1,
    toolCalls: 0,
    toolErrors: [],
  } satisfies PlanResult);
  await modelCall(id, 'implement', 'claude-sonnet-4-6', 529, 'overloaded_error: Overloaded');
  await modelCall(id, 'implement', 'claude-sonnet-4-6');
  await store.addEvent({
    runId: id,
    step: 'implement',
    kind: 'tool_call',
    data: {
      tool: 'write_file',
      verdict: 'refused',
      target: 'evals/gate.json',
      reason: 'refused: evals/gate.json is protected',
      durationMs: 1,
    },
  });
  await store.addEvent({
    runId: id,
    step: 'implement',
    kind: 'tool_call',
    data: { tool: 'edit_file', verdict: 'ok', target: 'rag-app/src/retrieve/search.ts', durationMs: 3 },
  });
  const agent: AgentResult = {
    status: 'ok',
    summary: 'fixed the search',
    turns: 2,
    toolCalls: 2,
    toolErrors: ['refused: evals/gate.json is protected'],
  };
  const patch = `diff --git a/rag-app/src/retrieve/search.ts b/rag-app/src/retrieve/search.ts\n--- a/rag-app/src/retrieve/search.ts\n+++ b/rag-app/src/retrieve/search.ts\n@@ -1 +1 @@\n-const k = 1;\n+const k = 2;\n`;
  await step(id, 'implement', 'ok', {
    agent,
    commit: 'a'.repeat(40),
    files: [
      { path: 'rag-app/src/retrieve/search.ts', status: 'modified', added: 1, deleted: 1, binary: false },
    ],
    changedLines: 2,
    patch,
  });
  // The lint's output carries secrets: the store must write them redacted.
  const lintOutput = `lint failed\nGITHUB_TOKEN=${GH_TOKEN}\nsecret ${STORE_SECRET}\nurl https://bot:hunter2pass@example.com/x\n${'x'.repeat(9000)}\nthe last line of the lint`;
  await store.addEvent({
    runId: id,
    step: 'validate',
    kind: 'command',
    data: {
      argv: ['pnpm', 'exec', 'biome', `--token=${STORE_SECRET}`],
      cwd: '/w',
      exitCode: 1,
      signal: null,
      timedOut: false,
      durationMs: 500,
      boundary: 'bubblewrap',
    },
  });
  const failedValidation: ValidationOutcome = {
    policy: {
      ok: true,
      files: 1,
      changedLines: 2,
      pathViolations: [],
      appendOnlyViolations: [],
      size: { ok: true, detail: '2 lines' },
      tests: { ok: true, deletedTests: [], assertionsBefore: 0, assertionsAfter: 0 },
      problems: [],
    },
    commands: {
      ok: false,
      firstFailure: 'lint',
      commands: [command('lint', 1, lintOutput)],
      durationMs: 500,
    },
    gate: null,
    holdout: null,
    failure: { command: 'lint', output: lintOutput },
  };
  await step(id, 'validate', 'failed', failedValidation, 'command_failed');
  await modelCall(id, 'fix-1', 'claude-sonnet-4-6');
  await step(id, 'fix-1', 'ok', {
    agent: { ...agent, toolErrors: [] },
    commit: 'b'.repeat(40),
    files: [],
    changedLines: 2,
    patch,
  });
  await step(id, 'validate-1', 'ok', {
    policy: failedValidation.policy,
    commands: {
      ok: true,
      firstFailure: null,
      commands: [command('lint', 0, 'Checked 4 files.')],
      durationMs: 400,
    },
    gate,
    // What an older factory might have stored: per-case holdout details. The strict schema refuses
    // it, so the page shows no holdout at all rather than these.
    holdout: { ...holdout, perCase: [{ query: HOLDOUT_QUERY, hit: false }] },
    failure: null,
  });
  await modelCall(id, 'review-1', 'claude-opus-4-6');
  await step(id, 'review-1', 'ok', {
    solves_issue: true,
    summary: 'good',
    findings: [{ severity: 'low', file: 'README.md', message: 'could mention it' }],
  } satisfies ReviewResult);
  await step(
    id,
    'merge',
    'ok',
    {
      decision: {
        merge: true,
        checks: [
          { name: 'paths', ok: true, detail: '1 files, all writable and none protected' },
          { name: 'evals gate', ok: true, detail: 'passed' },
        ],
      },
      revalidated: null,
      pr: 7,
      prUrl: 'forge://local/pulls/7',
      mergedSha: 'd'.repeat(40),
      via: 'local-git',
      alreadyMerged: false,
      forgeChecks: null,
      gateReport: { commentId: 3, posted: true },
    } satisfies MergeResult,
    'merged',
  );
  await step(id, 'verify', 'ok', {
    baseSha: 'd'.repeat(40),
    commands: { ok: true, firstFailure: null, commands: [command('lint', 0, 'ok')], durationMs: 100 },
    revertSha: null,
    revertPr: null,
  } satisfies VerifyResult);
  await store.setPullRequest(id, 7, { owner: OWNER });
  // Written by a store that redacts nothing but the known shapes (the server's secret is not the factory's).
  await rawStore.addEvent({
    runId: id,
    step: 'merge',
    kind: 'note',
    data: { message: `pushed with ${SERVER_SECRET}` },
  });
  await store.finishRun(id, OWNER, { state: 'merged', stopReason: 'merged' });

  // Run 2: triage rejected.
  rejected = await store.createRun(newRun(2), { owner: OWNER, ttlMs: 60_000 });
  await step(rejected.id, 'intake', 'ok', intake(2, 'Add a dark mode to the CLI'));
  await step(
    rejected.id,
    'triage',
    'ok',
    { decision: 'reject', kind: 'feature', priority: 'low', reason: 'out of scope' } satisfies TriageResult,
    'triage_rejected',
  );
  await store.finishRun(rejected.id, OWNER, { state: 'rejected', stopReason: 'triage_rejected' });

  // Run 3: still running, with a live lease.
  running = await store.createRun(newRun(3), { owner: OWNER, ttlMs: 600_000 });
  await step(running.id, 'intake', 'ok', intake(3, 'Cite the right second'));
  await step(running.id, 'triage', 'ok', {
    decision: 'accept',
    kind: 'bug',
    priority: 'high',
    reason: 'clear bug',
  } satisfies TriageResult);
}

async function getJson<T>(url: string, status = 200): Promise<T> {
  const res = await app.request(url);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  return JSON.parse(text) as T;
}

async function getHtml(url: string, status = 200): Promise<string> {
  const res = await app.request(url);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  return text;
}

beforeAll(async () => {
  db = await openSeededDb();
  store = createSqlRunStore(db, { logger: silent, secrets: [STORE_SECRET] });
  rawStore = createSqlRunStore(db, { logger: silent });
  holdoutDir = await mkdtemp(path.join(tmpdir(), 'watch-holdout-'));
  await writeFile(path.join(holdoutDir, 'HOLDOUT'), '');
  await writeFile(
    path.join(holdoutDir, 'cases.jsonl'),
    `${JSON.stringify({ id: 'hold-0001', query: HOLDOUT_QUERY, expected: { videoId: 'abc' } })}\n`,
  );
  await seed();
  app = createWatchApp({
    reader: store,
    budgets: async () => ({ dayUsd: 0.05, dayRuns: 30, runUsd: 15 }),
    issueOpenedAt: async (issue) => (issue === 1 ? new Date(merged.createdAt.getTime() - 3_600_000) : null),
    secrets: [SERVER_SECRET],
    holdout: await holdoutStrings(holdoutDir),
    logger: silent,
    pollMs: 20,
  });
  // A PGlite store's start-up is 1–2 s idle and tens of seconds on a loaded machine.
}, 180_000);

afterAll(async () => {
  await db?.close();
  if (holdoutDir) await rm(holdoutDir, { recursive: true, force: true });
});

describe('redaction where events and step results are written', () => {
  it('stores the secrets, token shapes and URL credentials of events and step results replaced', async () => {
    const events = await db.query<{ data: unknown }>('SELECT data FROM events WHERE run_id = $1', [
      merged.id,
    ]);
    const steps = await db.query<{ result: unknown }>('SELECT result FROM steps WHERE run_id = $1', [
      merged.id,
    ]);
    const raw = JSON.stringify([events.rows, steps.rows]);
    expect(raw).not.toContain(STORE_SECRET);
    expect(raw).not.toContain(GH_TOKEN);
    expect(raw).not.toContain('hunter2pass');
    expect(raw).toContain('--token=[redacted]');
    expect(raw).toContain('GITHUB_TOKEN=[redacted]');
    expect(raw).toContain('https://bot:[redacted]@example.com');
    // The rest is kept intact.
    expect(raw).toContain('the last line of the lint');
    const validate = (await store.steps(merged.id)).find((s) => s.name === 'validate');
    const outcome = validate?.result as ValidationOutcome | undefined;
    expect(outcome?.commands?.commands[0]?.exitCode).toBe(1);
  });
});

describe('JSON endpoints', () => {
  it('lists runs with issue, status, PR, cost and duration; filters are validated', async () => {
    const { runs } = await getJson<{ runs: RunRow[] }>('/api/runs');
    expect(runs.map((r) => r.issue)).toEqual([3, 2, 1]);
    const one = runs.find((r) => r.issue === 1)!;
    expect(one).toMatchObject({
      status: 'merged',
      pr: 7,
      title: XSS_TITLE,
      currentStep: 'verify',
      steps: 10,
      live: false,
    });
    expect(one.cost.calls).toBe(5);
    expect(one.cost.usd).toBeCloseTo(0.0625, 6);
    expect(one.durationMs).toBeGreaterThanOrEqual(0);
    expect(runs.find((r) => r.issue === 3)).toMatchObject({
      status: 'running',
      live: true,
      currentStep: 'triage',
    });

    expect((await getJson<{ runs: RunRow[] }>('/api/runs?status=running')).runs.map((r) => r.issue)).toEqual([
      3,
    ]);
    expect((await getJson<{ runs: RunRow[] }>('/api/runs?issue=2')).runs.map((r) => r.status)).toEqual([
      'rejected',
    ]);
    expect((await getJson<{ runs: RunRow[] }>('/api/runs?status=')).runs).toHaveLength(3);
    expect((await getJson<{ error: string }>('/api/runs?status=done', 400)).error).toMatch(/^status: /);
    expect((await getJson<{ error: string }>('/api/runs?sort=new', 400)).error).toBe(
      'unknown parameter: sort',
    );
    expect((await getJson<{ error: string }>('/api/runs?limit=2&limit=3', 400)).error).toMatch(
      /limit given twice/,
    );
    expect((await getJson<{ error: string }>('/api/runs?limit=5000', 400)).error).toMatch(
      /^limit: must be at most 200/,
    );
    expect((await getJson<{ error: string }>('/api/runs?issue=-1', 400)).error).toMatch(/^issue: /);
  });

  it("gives one run's timeline: steps, model calls with tokens and cost, tool verdicts, commands, diff, gate, review, merge checks", async () => {
    const t = await getJson<RunTimeline>(`/api/runs/${merged.id}`);
    expect(t.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'intake:ok',
      'triage:ok',
      'plan:ok',
      'implement:ok',
      'validate:failed',
      'fix-1:ok',
      'validate-1:ok',
      'review-1:ok',
      'merge:ok',
      'verify:ok',
    ]);
    expect(t.steps.every((s) => s.durationMs === 1234)).toBe(true);
    const implement = t.steps.find((s) => s.name === 'implement')!;
    expect(implement.modelCalls).toHaveLength(1);
    expect(implement.modelCalls[0]).toMatchObject({
      model: 'claude-sonnet-4-6',
      inputTokens: 1200,
      outputTokens: 180,
      cacheCreationInputTokens: 300,
      usd: 0.0125,
      durationMs: 12,
    });
    expect(implement.modelCalls[0]?.retries).toEqual([
      { status: 529, error: 'overloaded_error: Overloaded' },
    ]);
    expect(implement.toolCalls.map((c) => [c.tool, c.verdict, c.refused])).toEqual([
      ['write_file', 'refused', true],
      ['edit_file', 'ok', false],
    ]);
    expect(implement.toolCalls[0]?.reason).toBe('refused: evals/gate.json is protected');

    const validate = t.steps.find((s) => s.name === 'validate')!;
    expect(validate.commands[0]).toMatchObject({
      exitCode: 1,
      argv: ['pnpm', 'exec', 'biome', '--token=[redacted]'],
    });
    if (validate.detail.kind !== 'validate') throw new Error(`validate detail is ${validate.detail.kind}`);
    const lint = validate.detail.commands[0]!;
    expect(lint.exitCode).toBe(1);
    expect(lint.output).toContain('characters cut');
    expect(lint.output).toContain('the last line of the lint');
    expect(lint.output.length).toBeLessThan(5500);

    const validated = t.steps.find((s) => s.name === 'validate-1')!.detail;
    if (validated.kind !== 'validate') throw new Error('validate-1 detail');
    expect(validated.gate?.metrics.map((m) => m.metric)).toEqual(['hitAt1Moment', 'linkAt1']);
    expect(validated.gate?.reasons[0]).toContain(HOLDOUT_MARK);
    expect(validated.holdout).toBeNull();

    const review = t.steps.find((s) => s.name === 'review-1')!.detail;
    expect(review).toMatchObject({
      kind: 'review',
      solvesIssue: true,
      findings: [{ severity: 'low', file: 'README.md' }],
    });
    const merge = t.steps.find((s) => s.name === 'merge')!.detail;
    expect(merge).toMatchObject({ kind: 'merge', merge: true, pr: 7, mergedSha: 'd'.repeat(40) });
    if (merge.kind !== 'merge') throw new Error('merge detail');
    expect(merge.checks.map((c) => `${c.name}:${c.ok}`)).toEqual(['paths:true', 'evals gate:true']);
    expect(t.diff?.patch).toContain('+const k = 2;');
    expect(t.ledger.calls).toBe(5);
    expect(t.run).toMatchObject({ issue: 1, status: 'merged', pr: 7, issueUrl: 'forge://local/issues/1' });

    expect((await getJson<{ error: string }>('/api/runs/not-a-run', 400)).error).toMatch(/not a run id/);
    expect(
      (await getJson<{ error: string }>('/api/runs/00000000-0000-4000-8000-000000000000', 404)).error,
    ).toMatch(/no run/);
    expect((await getJson<{ error: string }>(`/api/runs/${merged.id}?x=1`, 400)).error).toBe(
      'unknown parameter: x',
    );
  });

  it('scores the experiment: issues taken, merge rate, reverts, median time to merge, cost per merged PR, refusals by reason', async () => {
    const s = await getJson<Record<string, unknown>>('/api/scoreboard');
    expect(s).toMatchObject({
      runs: 3,
      issuesSeen: 3,
      issuesTaken: 2,
      merged: 1,
      mergeRate: 0.5,
      reverts: 0,
      refusedToolCalls: 1,
      refusals: [{ category: 'protected path', count: 1, example: 'refused: evals/gate.json is protected' }],
      stopReasons: [{ reason: 'triage_rejected', count: 1 }],
    });
    expect(s.costPerMergedPr).toBeCloseTo(0.0625, 6);
    // From the issue's creation (an hour before the run) to the end of the merge step.
    expect(s.medianIssueToMergeMs as number).toBeGreaterThanOrEqual(3_600_000);
    expect(s.medianIssueToMergeMs as number).toBeLessThan(3_600_000 + 120_000);
  });

  it('lists merges with their eval deltas, the metric series, and the daily spend against the budget', async () => {
    const m = await getJson<{
      merges: { pr: number; metrics: { metric: string; delta: number }[] }[];
      series: { metric: string; points: { label: string; value: number }[] }[];
    }>('/api/merges');
    expect(m.merges.map((x) => x.pr)).toEqual([7]);
    expect(m.merges[0]?.metrics.find((x) => x.metric === 'hitAt1Moment')?.delta).toBeCloseTo(0.02, 9);
    expect(m.series.find((x) => x.metric === 'hitAt1Moment')?.points).toEqual([
      { label: 'before', runId: null, value: 0.7 },
      { label: '#7', runId: merged.id, value: 0.72 },
    ]);
    const spend = await getJson<{
      budget: { dayUsd: number };
      days: { day: string; usd: number; share: number; runs: number }[];
    }>('/api/spend?days=3');
    expect(spend.budget.dayUsd).toBe(0.05);
    expect(spend.days).toHaveLength(3);
    expect(spend.days[0]).toMatchObject({ day: new Date().toISOString().slice(0, 10), runs: 3 });
    expect(spend.days[0]?.usd).toBeCloseTo(0.0625, 6);
    expect(spend.days[0]?.share).toBeCloseTo(1.25, 6);
    expect((await getJson<{ error: string }>('/api/spend?days=0', 400)).error).toMatch(/^days: /);
  });

  it('is read-only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await app.request('/api/runs', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await app.request('/api/runs', { method: 'HEAD' })).status).toBe(200);
  });
});

describe('nothing secret or sealed reaches the public', () => {
  it('no endpoint or page shows a secret, a token or a holdout text', async () => {
    const urls = [
      '/',
      '/merges',
      '/scoreboard',
      `/runs/${merged.id}`,
      `/fragments/runs/${merged.id}`,
      '/fragments/runs',
      '/api/runs',
      `/api/runs/${merged.id}`,
      '/api/merges',
      '/api/spend',
      '/api/scoreboard',
    ];
    for (const url of urls) {
      const res = await app.request(url);
      const body = await res.text();
      expect(res.status, url).toBe(200);
      for (const hidden of [
        STORE_SECRET,
        SERVER_SECRET,
        GH_TOKEN,
        'hunter2pass',
        HOLDOUT_QUERY,
        'hold-0001',
      ]) {
        expect(body, `${url} shows ${hidden}`).not.toContain(hidden);
      }
    }
    const t = await getJson<RunTimeline>(`/api/runs/${merged.id}`);
    expect(t.steps.find((s) => s.name === 'merge')?.notes[0]?.text).toBe('message: pushed with [redacted]');
  });
});

describe('pages', () => {
  it('renders the runs page with escaped issue text and the live hook', async () => {
    const page = await getHtml('/');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('name="viewport"');
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain(`href="/runs/${merged.id}"`);
    expect(page).toContain('data-live-src="/api/runs/live"');
    expect(page).toContain('<link rel="alternate" type="application/json" href="/api/runs">');
    // No script or style from anywhere but this server.
    expect(page).not.toMatch(/(src|href)="https?:\/\//);
  });

  it("renders one run's timeline: refusals stand out, failing commands open with their exit code, the merge's checks", async () => {
    const page = await getHtml(`/runs/${merged.id}`);
    expect(page).toMatch(
      /<li class="refused"><span class="badge bad">REFUSED<\/span> <code>write_file<\/code>/,
    );
    expect(page).toContain('<span class="badge bad">exit 1</span>');
    expect(page).toMatch(/<strong>paths<\/strong><span class="visually-hidden"> passed<\/span>/);
    expect(page).toContain('<span class="add">+const k = 2;');
    expect(page).toContain('Evals gate');
    expect(page).toContain('could mention it');
    // A finished run is not followed live.
    expect(page).toContain('data-live-src=""');
    expect(await getHtml(`/runs/${running.id}`)).toContain(`data-live-src="/api/runs/${running.id}/live"`);
    expect(await getHtml('/runs/00000000-0000-4000-8000-000000000000', 404)).toContain('no run');
  });

  it('renders merges with the metrics chart and spend against the budget, and the scoreboard', async () => {
    const merges = await getHtml('/merges');
    expect(merges).toContain('<svg viewBox=');
    expect(merges).toContain('data-metric="hitAt1Moment"');
    expect(merges).toMatch(/<meter min="0" max="0.05"/);
    expect(merges).toContain('class="over"');
    const score = await getHtml('/scoreboard');
    expect(score).toContain('protected path');
    expect(score).toContain('50 %');
  });

  it('serves the bundled browser code and style from itself', async () => {
    const js = await app.request('/assets/watch.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const code = await js.text();
    expect(code).toContain('EventSource');
    expect(code).not.toMatch(/\bimport\s*[{(*"']/); // bundled: nothing left to fetch
    const etag = js.headers.get('etag')!;
    expect((await app.request('/assets/watch.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await app.request('/assets/watch.css')).headers.get('content-type')).toMatch(/text\/css/);
    expect((await app.request('/assets/../package.json')).status).toBe(404);
  });
});

/** Reads server-sent events from a response body until `until` says stop (or the timeout). */
async function readEvents(
  res: Response,
  until: (events: { event: string; data: string }[]) => boolean,
  timeoutMs = 20_000,
): Promise<{ event: string; data: string }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
        events.push({ event, data });
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

describe('live while running (server-sent events)', () => {
  it("follows a running run's steps and ends when it finishes", async () => {
    const res = await app.request(`/api/runs/${running.id}/live`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const list = await app.request('/api/runs/live');
    let stepAdded = false;
    const events = await readEvents(res, (seen) => {
      const updates = seen.filter((e) => e.event === 'update');
      if (updates.length === 1 && !stepAdded) {
        stepAdded = true;
        // The run moves on while the page watches it.
        void step(running.id, 'plan', 'ok', {
          status: 'ok',
          summary: 'plan',
          steps: ['a'],
          files: [],
          risks: [],
          turns: 1,
          toolCalls: 0,
          toolErrors: [],
        } satisfies PlanResult).then(() =>
          store.finishRun(running.id, OWNER, { state: 'needs-human', stopReason: 'agent_failed' }),
        );
      }
      return seen.some((e) => e.event === 'end');
    });
    const updates = events
      .filter((e) => e.event === 'update')
      .map((e) => JSON.parse(e.data) as { run: RunRow; steps: { name: string }[] });
    expect(updates[0]?.run.status).toBe('running');
    expect(updates[0]?.steps.map((s) => s.name)).toEqual(['intake', 'triage']);
    expect(updates.at(-1)?.run.status).toBe('needs-human');
    expect(events.at(-1)?.event).toBe('end');

    // The list stream saw the run end too.
    const listEvents = await readEvents(list, (seen) =>
      seen.some(
        (e) =>
          e.event === 'update' &&
          (JSON.parse(e.data) as { runs: RunRow[] }).runs.some(
            (r) => r.issue === 3 && r.status === 'needs-human',
          ),
      ),
    );
    expect(listEvents[0]?.event).toBe('update');
  });

  it('refuses a live stream for a run that does not exist', async () => {
    expect((await app.request('/api/runs/00000000-0000-4000-8000-000000000000/live')).status).toBe(404);
  });
});

describe('holdout texts', () => {
  it('collects the holdout datasets’ strings (ids, queries, nested answers)', async () => {
    const dir = path.join(holdoutDir, 'nested');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'x.jsonl'),
      '{"id":"hold-0002","query":"a query long enough","expected":{"facts":["a fact long enough"]}}\nnot json but long\n',
    );
    expect((await holdoutStrings(dir)).sort()).toEqual([
      'a fact long enough',
      'a query long enough',
      'hold-0002',
      'not json but long',
    ]);
  });
});

describe("the factory's server", () => {
  it('serves the watch page with health, and the real webhook intake at /webhooks/github', async () => {
    const forgeDir = await mkdtemp(path.join(tmpdir(), 'watch-forge-'));
    const queue = new RecordingQueue();
    const secret = 'webhook-secret-for-the-test';
    const factory = createFactoryApp({
      watch: { reader: store, logger: silent },
      access: () => ({ kind: 'postgres', via: 'direct' }),
      webhooks: createWebhookRoutes({
        secret,
        repository: 'acme/widgets',
        queue,
        forge: new LocalForge({ dir: forgeDir, logger: silent }),
        policy: testPolicy(),
        store,
        logger: silent,
      }),
    });
    const served = await serveApp(factory);
    try {
      const hook = `${served.url}webhooks/github`;
      const signed = await deliver(hook, secret, {
        event: 'issues',
        payload: issuePayload('opened', { number: 12 }, 'alice'),
      });
      expect(signed.status, JSON.stringify(signed.body)).toBe(202);
      expect(queue.jobs.map((j) => [j.issue, j.reason])).toEqual([[12, 'opened']]);
      const forged = await deliver(hook, secret, {
        event: 'issues',
        payload: issuePayload('opened', { number: 13 }, 'mallory'),
        secret: 'not-the-secret',
      });
      expect(forged.status).toBe(401);
      expect(queue.jobs).toHaveLength(1);
      // Beside it, the public side stays read-only.
      expect((await fetch(served.url, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${served.url}api/runs`)).status).toBe(200);
      expect(await (await fetch(`${served.url}readyz`)).json()).toMatchObject({ ok: true, webhooks: true });
      expect(await (await fetch(`${served.url}healthz`)).json()).toEqual({ ok: true });
    } finally {
      await served.close();
      await rm(forgeDir, { recursive: true, force: true });
    }
  });
});

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { FactoryError, isFactoryError } from '../errors.ts';
import { RunStatusSchema, StopReasonSchema } from '../policy/schema.ts';
import { redactDeep } from '../redact.ts';
import type { Db } from './db.ts';
import {
  type CostTotals,
  type EventKind,
  type EventRecord,
  type LeaseGuard,
  type LedgerEntry,
  type PollCursor,
  type RunQuery,
  type RunRecord,
  RunStateSchema,
  type RunStore,
  StepNameSchema,
  type StepRecord,
  StepStatusSchema,
  type StopRequest,
} from './types.ts';

/** The SQL half of the run store (runs/open.ts adds the single-owner rule and the status endpoint). */

const EVENT_KINDS = ['model_call', 'tool_call', 'command', 'note'] as const satisfies readonly EventKind[];
export const EventKindSchema = z.enum(EVENT_KINDS);

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const TtlSchema = z.number().int().positive().max(MAX_TTL_MS);
const OwnerSchema = z.string().trim().min(1).max(200);
const TokenCount = z.number().int().nonnegative();

const NewRunSchema = z.object({
  issue: z.number().int().positive(),
  author: z.string().min(1).nullable(),
  base: z.string().min(1),
  baseSha: z.string().regex(/^[0-9a-f]{7,64}$/, 'baseSha: a hex commit id'),
  branch: z.string().min(1),
  repo: z.string().min(1),
});

const StepInputSchema = z.object({
  runId: z.string().min(1),
  name: StepNameSchema,
  status: StepStatusSchema,
  reason: z.string().nullable(),
  result: z.unknown(),
  startedAt: z.date(),
  durationMs: z.number().int().nonnegative(),
});

const EventInputSchema = z.object({
  runId: z.string().min(1),
  step: z.string().min(1),
  kind: EventKindSchema,
  data: z.record(z.string(), z.unknown()),
});

const LedgerInputSchema = z.object({
  runId: z.string().min(1),
  step: z.string().min(1),
  model: z.string().min(1),
  inputTokens: TokenCount,
  outputTokens: TokenCount,
  cacheCreationInputTokens: TokenCount,
  cacheReadInputTokens: TokenCount,
  usd: z.number().nonnegative().finite().nullable(),
});

export const RunQuerySchema = z.object({
  issue: z.number().int().positive().optional(),
  state: RunStateSchema.optional(),
  limit: z.number().int().positive().max(1000).optional(),
});

const RUN_COLUMNS = `id, issue, issue_hash, author, base, base_sha, branch, repo, state, stop_reason, pr, sandbox,
  created_at, updated_at, finished_at, lease_owner, lease_expires_at,
  (lease_expires_at IS NOT NULL AND lease_expires_at >= now()) AS lease_live`;

const RunRowSchema = z
  .object({
    id: z.string(),
    issue: z.number().int(),
    issue_hash: z.string().nullable(),
    author: z.string().nullable(),
    base: z.string(),
    base_sha: z.string(),
    branch: z.string(),
    repo: z.string(),
    state: RunStateSchema,
    stop_reason: StopReasonSchema.nullable(),
    pr: z.number().int().nullable(),
    sandbox: z.string().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
    finished_at: z.date().nullable(),
    lease_owner: z.string().nullable(),
    lease_expires_at: z.date().nullable(),
    lease_live: z.boolean(),
  })
  .transform(
    (r): RunRecord => ({
      id: r.id,
      issue: r.issue,
      issueHash: r.issue_hash,
      author: r.author,
      base: r.base,
      baseSha: r.base_sha,
      branch: r.branch,
      repo: r.repo,
      state: r.state,
      stopReason: r.stop_reason,
      pr: r.pr,
      sandbox: r.sandbox,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      finishedAt: r.finished_at,
      leaseOwner: r.lease_owner,
      leaseExpiresAt: r.lease_expires_at,
      leaseLive: r.lease_live,
    }),
  );

const STEP_COLUMNS = 'run_id, name, seq, status, reason, result, started_at, duration_ms';

const StepRowSchema = z
  .object({
    run_id: z.string(),
    name: StepNameSchema,
    seq: z.number().int(),
    status: StepStatusSchema,
    reason: z.string().nullable(),
    result: z.unknown(),
    started_at: z.date(),
    duration_ms: z.number().int(),
  })
  .transform(
    (r): StepRecord => ({
      runId: r.run_id,
      name: r.name,
      seq: r.seq,
      status: r.status,
      reason: r.reason,
      result: r.result,
      startedAt: r.started_at,
      durationMs: r.duration_ms,
    }),
  );

const EventRowSchema = z
  .object({
    run_id: z.string(),
    step: z.string(),
    kind: EventKindSchema,
    data: z.record(z.string(), z.unknown()),
    at: z.date(),
  })
  .transform((r): EventRecord => ({ runId: r.run_id, step: r.step, kind: r.kind, data: r.data, at: r.at }));

const COST_COLUMNS = `count(*)::int AS calls,
  (count(*) FILTER (WHERE usd IS NULL))::int AS unpriced_calls,
  coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
  coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
  coalesce(sum(cache_creation_input_tokens), 0)::float8 AS cache_creation_input_tokens,
  coalesce(sum(cache_read_input_tokens), 0)::float8 AS cache_read_input_tokens,
  coalesce(sum(usd), 0)::float8 AS known_usd`;

const CostRowSchema = z
  .object({
    calls: z.number().int(),
    unpriced_calls: z.number().int(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_creation_input_tokens: z.number(),
    cache_read_input_tokens: z.number(),
    known_usd: z.number(),
  })
  .transform((r): CostTotals => {
    const knownUsd = Math.round(r.known_usd * 1e6) / 1e6;
    return {
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheCreationInputTokens: r.cache_creation_input_tokens,
      cacheReadInputTokens: r.cache_read_input_tokens,
      // One unpriced call makes the total unknown: it is never read as zero.
      usd: r.unpriced_calls === 0 ? knownUsd : null,
      knownUsd,
      unpricedCalls: r.unpriced_calls,
      calls: r.calls,
    };
  });

const CountRowSchema = z.object({ n: z.number().int() });

const DeliveryClaimSchema = z.object({
  id: z.string().trim().min(1).max(200),
  source: z.enum(['webhook', 'poll']),
  event: z.string().min(1).max(100),
  action: z.string().min(1).max(100).nullish(),
});

const DeliveryRowSchema = z
  .object({
    id: z.string(),
    source: z.enum(['webhook', 'poll']),
    event: z.string(),
    action: z.string().nullable(),
    outcome: z.string().nullable(),
    received_at: z.date(),
  })
  .transform((r) => ({
    id: r.id,
    source: r.source,
    event: r.event,
    action: r.action,
    outcome: r.outcome,
    receivedAt: r.received_at,
  }));

const NewStopRequestSchema = z.object({
  requestedBy: z.string().trim().min(1).max(100),
  source: z.string().trim().min(1).max(500),
  note: z.string().max(2000).optional(),
});

const STOP_COLUMNS = 'run_id, requested_by, source, note, requested_at';

const StopRowSchema = z
  .object({
    run_id: z.string(),
    requested_by: z.string(),
    source: z.string(),
    note: z.string().nullable(),
    requested_at: z.date(),
  })
  .transform(
    (r): StopRequest => ({
      runId: r.run_id,
      requestedBy: r.requested_by,
      source: r.source,
      ...(r.note === null ? {} : { note: r.note }),
      requestedAt: r.requested_at,
    }),
  );

const PollCursorSchema = z.object({
  since: z.date().nullable(),
  etag: z.string().min(1).max(500).nullable(),
});
const PollCursorRowSchema = z
  .object({ since: z.date().nullable(), etag: z.string().nullable() })
  .transform((r): PollCursor => ({ since: r.since, etag: r.etag }));

/** `now() + ttl` on the database's clock, so hosts with skewed clocks agree on expiry. */
const LEASE_UNTIL = (param: number) => `now() + ($${param}::float8 * interval '1 millisecond')`;

const LedgerRowSchema = z
  .object({
    run_id: z.string(),
    step: z.string(),
    model: z.string(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_creation_input_tokens: z.number(),
    cache_read_input_tokens: z.number(),
    usd: z.number().nullable(),
    at: z.date(),
  })
  .transform(
    (r): LedgerEntry => ({
      runId: r.run_id,
      step: r.step,
      model: r.model,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheCreationInputTokens: r.cache_creation_input_tokens,
      cacheReadInputTokens: r.cache_read_input_tokens,
      usd: r.usd,
      at: r.at,
    }),
  );

export interface SqlRunStoreOptions {
  logger: Logger;
  /**
   * Secret values (redact.ts secretValues of the process's environment) replaced in every event and
   * step result before it is written; token shapes and credentials in URLs are replaced always.
   * Redacting here, where everything is recorded, is what keeps secrets out of `status` and the
   * watch page.
   */
  secrets?: readonly string[];
}

export function createSqlRunStore(db: Db, options: SqlRunStoreOptions): RunStore {
  const log = options.logger;
  const secrets = options.secrets ?? [];

  async function guard<T>(op: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isFactoryError(err)) throw err;
      throw new FactoryError('store_error', `run store: ${op} failed: ${(err as Error).message}`, context, {
        cause: err,
      });
    }
  }

  function parse<S extends z.ZodType>(schema: S, row: unknown, op: string): z.output<S> {
    const res = schema.safeParse(row);
    if (!res.success) {
      throw new FactoryError(
        'store_error',
        `run store: ${op} read an unexpected row: ${z.prettifyError(res.error)}`,
        {
          op,
        },
      );
    }
    return res.data;
  }

  function input<S extends z.ZodType>(schema: S, value: unknown, op: string): z.output<S> {
    const res = schema.safeParse(value);
    if (!res.success) {
      throw new FactoryError('store_error', `run store: invalid ${op}: ${z.prettifyError(res.error)}`, {
        op,
      });
    }
    return res.data;
  }

  function json(value: unknown, op: string): string {
    try {
      return JSON.stringify(value ?? null);
    } catch (cause) {
      throw new FactoryError('store_error', `run store: ${op}: not serialisable as JSON`, { op }, { cause });
    }
  }

  /** Says why a guarded write touched no row: a missing or finished run is store_error, a foreign lease lease_lost. */
  async function explain(op: string, runId: string, owner?: string): Promise<never> {
    const res = await db.query<{ state: string; lease_owner: string | null }>(
      'SELECT state, lease_owner FROM runs WHERE id = $1',
      [runId],
    );
    const row = res.rows[0];
    if (!row)
      throw new FactoryError('store_error', `run store: ${op}: run ${runId} does not exist`, { runId });
    if (row.state !== 'running') {
      throw new FactoryError(
        'store_error',
        `run store: ${op}: run ${runId} has already ended (${row.state})`,
        {
          runId,
          state: row.state,
        },
      );
    }
    throw new FactoryError(
      'lease_lost',
      `run ${runId}: the lease is held by ${row.lease_owner ?? 'nobody'}, not by ${owner} (${op} refused)`,
      { runId, owner, holder: row.lease_owner },
    );
  }

  async function setColumn(op: string, runId: string, column: string, value: unknown, g?: LeaseGuard) {
    await guard(op, { runId }, async () => {
      const params: unknown[] = [runId, value];
      let sql = `UPDATE runs SET ${column} = $2, updated_at = now() WHERE id = $1 AND state = 'running'`;
      if (g) {
        params.push(input(OwnerSchema, g.owner, 'owner'));
        sql += ' AND lease_owner = $3';
      }
      const res = await db.query(sql, params);
      if (res.affectedRows === 0) await explain(op, runId, g?.owner);
    });
  }

  async function listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const q = input(RunQuerySchema, query, 'run query');
    return guard('listRuns', { ...q }, async () => {
      const res = await db.query(
        `SELECT ${RUN_COLUMNS} FROM runs
         WHERE ($1::int IS NULL OR issue = $1) AND ($2::text IS NULL OR state = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3`,
        [q.issue ?? null, q.state ?? null, q.limit ?? 50],
      );
      return res.rows.map((r) => parse(RunRowSchema, r, 'listRuns'));
    });
  }

  async function activeRun(issue: number): Promise<RunRecord | undefined> {
    return (await listRuns({ issue, state: 'running', limit: 1 }))[0];
  }

  async function cost(op: string, where: string, params: unknown[]): Promise<CostTotals> {
    return guard(op, {}, async () => {
      const res = await db.query(`SELECT ${COST_COLUMNS} FROM ledger WHERE ${where}`, params);
      return parse(CostRowSchema, res.rows[0], op);
    });
  }

  async function count(op: string, sql: string, params: unknown[]): Promise<number> {
    return guard(op, {}, async () => parse(CountRowSchema, (await db.query(sql, params)).rows[0], op).n);
  }

  return {
    async createRun(run, lease) {
      const r = input(NewRunSchema, run, 'new run');
      const owner = input(OwnerSchema, lease.owner, 'lease owner');
      const ttlMs = input(TtlSchema, lease.ttlMs, 'lease ttl');
      const id = randomUUID();
      try {
        const res = await db.query(
          `INSERT INTO runs (id, issue, author, base, base_sha, branch, repo, lease_owner, lease_expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${LEASE_UNTIL(9)})
           RETURNING ${RUN_COLUMNS}`,
          [id, r.issue, r.author, r.base, r.baseSha, r.branch, r.repo, owner, ttlMs],
        );
        const created = parse(RunRowSchema, res.rows[0], 'createRun');
        log.info({ runId: id, issue: r.issue, owner }, 'run created');
        return created;
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code === '23505' && e.constraint === 'runs_one_running_per_issue') {
          const active = await activeRun(r.issue).catch(() => undefined);
          throw new FactoryError(
            'run_active',
            `issue #${r.issue} already has a running run${active ? ` (${active.id}, lease ${active.leaseOwner ?? 'free'})` : ''}`,
            { issue: r.issue, runId: active?.id },
            { cause: err },
          );
        }
        if (isFactoryError(err)) throw err;
        throw new FactoryError(
          'store_error',
          `run store: createRun failed: ${(err as Error).message}`,
          {
            issue: r.issue,
          },
          { cause: err },
        );
      }
    },

    async getRun(id) {
      return guard('getRun', { runId: id }, async () => {
        const res = await db.query(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [id]);
        return res.rows[0] ? parse(RunRowSchema, res.rows[0], 'getRun') : undefined;
      });
    },

    listRuns,

    activeRun,

    async expiredRuns() {
      return guard('expiredRuns', {}, async () => {
        const res = await db.query(
          `SELECT ${RUN_COLUMNS} FROM runs
           WHERE state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now())
           ORDER BY created_at`,
        );
        return res.rows.map((r) => parse(RunRowSchema, r, 'expiredRuns'));
      });
    },

    setIssueHash: (runId, hash, g) =>
      setColumn('setIssueHash', runId, 'issue_hash', input(z.string().min(1), hash, 'issue hash'), g),
    setPullRequest: (runId, pr, g) =>
      setColumn('setPullRequest', runId, 'pr', input(z.number().int().positive(), pr, 'pull request'), g),
    setSandbox: (runId, boundary, g) =>
      setColumn('setSandbox', runId, 'sandbox', input(z.string().min(1), boundary, 'sandbox'), g),

    async finishRun(runId, owner, end) {
      const state = input(RunStatusSchema, end.state, 'final state');
      const stopReason = input(StopReasonSchema, end.stopReason, 'stop reason');
      await guard('finishRun', { runId }, async () => {
        const res = await db.query(
          `UPDATE runs SET state = $3, stop_reason = $4, finished_at = now(), updated_at = now(), lease_expires_at = NULL
           WHERE id = $1 AND state = 'running' AND lease_owner = $2`,
          [runId, owner, state, stopReason],
        );
        if (res.affectedRows === 0) await explain('finishRun', runId, owner);
        log.info({ runId, state, stopReason }, 'run finished');
      });
    },

    async acquireLease(runId, owner, ttlMs) {
      const o = input(OwnerSchema, owner, 'lease owner');
      const ttl = input(TtlSchema, ttlMs, 'lease ttl');
      return guard('acquireLease', { runId, owner }, async () => {
        const res = await db.query<{ prev_owner: string | null; prev_expires: Date | null }>(
          `WITH prev AS (SELECT id, lease_owner, lease_expires_at FROM runs WHERE id = $1 FOR UPDATE)
           UPDATE runs SET lease_owner = $2, lease_expires_at = ${LEASE_UNTIL(3)}, updated_at = now()
           FROM prev
           WHERE runs.id = prev.id AND runs.state = 'running'
             AND (runs.lease_owner IS NULL OR runs.lease_owner = $2
                  OR runs.lease_expires_at IS NULL OR runs.lease_expires_at < now())
           RETURNING prev.lease_owner AS prev_owner, prev.lease_expires_at AS prev_expires`,
          [runId, o, ttl],
        );
        const row = res.rows[0];
        if (!row) {
          const exists = await db.query('SELECT 1 FROM runs WHERE id = $1', [runId]);
          if (exists.rows.length === 0) {
            throw new FactoryError('store_error', `run store: acquireLease: run ${runId} does not exist`, {
              runId,
            });
          }
          return false;
        }
        if (row.prev_owner && row.prev_owner !== o) {
          // Evidence: who held the run, until when, and who took it over.
          const data = { event: 'lease_takeover', from: row.prev_owner, to: o, expiredAt: row.prev_expires };
          log.warn({ runId, ...data }, 'took over an expired lease');
          await db.query(
            `INSERT INTO events (run_id, step, kind, data) VALUES ($1, 'lease', 'note', $2::text::jsonb)`,
            [runId, JSON.stringify(data)],
          );
        }
        return true;
      });
    },

    async heartbeat(runId, owner, ttlMs) {
      const ttl = input(TtlSchema, ttlMs, 'lease ttl');
      return guard('heartbeat', { runId, owner }, async () => {
        const res = await db.query(
          `UPDATE runs SET lease_expires_at = ${LEASE_UNTIL(3)}
           WHERE id = $1 AND state = 'running' AND lease_owner = $2`,
          [runId, owner, ttl],
        );
        return res.affectedRows > 0;
      });
    },

    async releaseLease(runId, owner) {
      await guard('releaseLease', { runId, owner }, async () => {
        await db.query(
          `UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
           WHERE id = $1 AND state = 'running' AND lease_owner = $2`,
          [runId, owner],
        );
      });
    },

    async saveStep(step, g) {
      const s = input(StepInputSchema, step, 'step');
      const resultJson = json(redactDeep(s.result, secrets), `step ${s.name}`);
      return guard('saveStep', { runId: s.runId, step: s.name }, async () => {
        const params: unknown[] = [
          s.runId,
          s.name,
          s.status,
          s.reason,
          resultJson,
          s.startedAt.toISOString(),
          s.durationMs,
        ];
        let where = '';
        if (g) {
          params.push(input(OwnerSchema, g.owner, 'owner'));
          where = `WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1 AND state = 'running' AND lease_owner = $8)`;
        }
        const res = await db.query(
          `INSERT INTO steps (run_id, name, seq, status, reason, result, started_at, duration_ms)
           SELECT $1::text, $2::text, coalesce((SELECT max(seq) FROM steps WHERE run_id = $1::text), 0) + 1,
                  $3::text, $4::text, $5::text::jsonb, $6::timestamptz, $7::int
           ${where}
           ON CONFLICT (run_id, name) DO UPDATE SET status = excluded.status, reason = excluded.reason,
             result = excluded.result, started_at = excluded.started_at, duration_ms = excluded.duration_ms,
             saved_at = now()
           RETURNING ${STEP_COLUMNS}`,
          params,
        );
        if (!res.rows[0]) return explain('saveStep', s.runId, g?.owner);
        return parse(StepRowSchema, res.rows[0], 'saveStep');
      });
    },

    async steps(runId) {
      return guard('steps', { runId }, async () => {
        const res = await db.query(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY seq`, [
          runId,
        ]);
        return res.rows.map((r) => parse(StepRowSchema, r, 'steps'));
      });
    },

    async addEvent(event) {
      const e = input(EventInputSchema, event, 'event');
      const data = json(redactDeep(e.data, secrets), `event ${e.kind}`);
      await guard('addEvent', { runId: e.runId, step: e.step }, async () => {
        await db.query('INSERT INTO events (run_id, step, kind, data) VALUES ($1, $2, $3, $4::text::jsonb)', [
          e.runId,
          e.step,
          e.kind,
          data,
        ]);
      });
    },

    async events(runId, query = {}) {
      const q = input(
        z.object({ step: z.string().min(1).optional(), kind: EventKindSchema.optional() }),
        query,
        'event query',
      );
      return guard('events', { runId }, async () => {
        const res = await db.query(
          `SELECT run_id, step, kind, data, at FROM events
           WHERE run_id = $1 AND ($2::text IS NULL OR step = $2) AND ($3::text IS NULL OR kind = $3)
           ORDER BY id`,
          [runId, q.step ?? null, q.kind ?? null],
        );
        return res.rows.map((r) => parse(EventRowSchema, r, 'events'));
      });
    },

    async addLedgerEntry(entry) {
      const e = input(LedgerInputSchema, entry, 'ledger entry');
      await guard('addLedgerEntry', { runId: e.runId, step: e.step }, async () => {
        await db.query(
          `INSERT INTO ledger (run_id, step, model, input_tokens, output_tokens, cache_creation_input_tokens,
             cache_read_input_tokens, usd)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric)`,
          [
            e.runId,
            e.step,
            e.model,
            e.inputTokens,
            e.outputTokens,
            e.cacheCreationInputTokens,
            e.cacheReadInputTokens,
            e.usd === null ? null : String(e.usd),
          ],
        );
      });
    },

    async ledger(runId) {
      return guard('ledger', { runId }, async () => {
        const res = await db.query(
          `SELECT run_id, step, model, input_tokens::float8 AS input_tokens, output_tokens::float8 AS output_tokens,
             cache_creation_input_tokens::float8 AS cache_creation_input_tokens,
             cache_read_input_tokens::float8 AS cache_read_input_tokens, usd::float8 AS usd, at
           FROM ledger WHERE run_id = $1 ORDER BY id`,
          [runId],
        );
        return res.rows.map((r) => parse(LedgerRowSchema, r, 'ledger'));
      });
    },

    runCost: (runId) => cost('runCost', 'run_id = $1', [runId]),
    costSince: (since) =>
      cost('costSince', 'at >= $1::timestamptz', [input(z.date(), since, 'since').toISOString()]),

    runsSince: (since) =>
      count('runsSince', 'SELECT count(*)::int AS n FROM runs WHERE created_at >= $1::timestamptz', [
        since.toISOString(),
      ]),

    // A run that merged and was reverted after main's validation failed still used a merge.
    mergesSince: (since) =>
      count(
        'mergesSince',
        `SELECT count(*)::int AS n FROM runs
         WHERE finished_at >= $1::timestamptz AND (state = 'merged' OR stop_reason = 'post_merge_failed')`,
        [since.toISOString()],
      ),

    triagedByAuthorSince: (author, since) =>
      count(
        'triagedByAuthorSince',
        `SELECT count(DISTINCT r.issue)::int AS n FROM steps s JOIN runs r ON r.id = s.run_id
         WHERE s.name = 'triage' AND lower(r.author) = lower($1) AND s.started_at >= $2::timestamptz`,
        [author, since.toISOString()],
      ),

    async claimDelivery(delivery) {
      const d = input(DeliveryClaimSchema, delivery, 'delivery');
      return guard('claimDelivery', { delivery: d.id }, async () => {
        const res = await db.query(
          `INSERT INTO deliveries (id, source, event, action) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO NOTHING`,
          [d.id, d.source, d.event, d.action ?? null],
        );
        return res.affectedRows > 0;
      });
    },

    async setDeliveryOutcome(id, outcome) {
      const text = input(z.string().min(1), outcome, 'delivery outcome').slice(0, 2000);
      await guard('setDeliveryOutcome', { delivery: id }, async () => {
        await db.query('UPDATE deliveries SET outcome = $2 WHERE id = $1', [id, text]);
      });
    },

    async releaseDelivery(id) {
      await guard('releaseDelivery', { delivery: id }, async () => {
        await db.query('DELETE FROM deliveries WHERE id = $1', [id]);
      });
    },

    async getDelivery(id) {
      return guard('getDelivery', { delivery: id }, async () => {
        const res = await db.query(
          'SELECT id, source, event, action, outcome, received_at FROM deliveries WHERE id = $1',
          [id],
        );
        return res.rows[0] ? parse(DeliveryRowSchema, res.rows[0], 'getDelivery') : undefined;
      });
    },

    async requestStop(runId, request) {
      const r = input(NewStopRequestSchema, request, 'stop request');
      return guard('requestStop', { runId }, async () => {
        // Only a running run takes a request; a second request leaves the first in place.
        const res = await db.query(
          `INSERT INTO stop_requests (run_id, requested_by, source, note)
           SELECT id, $2, $3, $4 FROM runs WHERE id = $1 AND state = 'running'
           ON CONFLICT (run_id) DO NOTHING
           RETURNING ${STOP_COLUMNS}`,
          [runId, r.requestedBy, r.source, r.note ?? null],
        );
        if (res.rows[0]) {
          const created = parse(StopRowSchema, res.rows[0], 'requestStop');
          log.info({ runId, requestedBy: created.requestedBy }, 'stop requested');
          return { status: 'requested' as const, request: created };
        }
        const existing = await db.query(
          `SELECT ${STOP_COLUMNS} FROM stop_requests s JOIN runs r ON r.id = s.run_id
           WHERE s.run_id = $1 AND r.state = 'running'`,
          [runId],
        );
        return existing.rows[0]
          ? {
              status: 'already_requested' as const,
              request: parse(StopRowSchema, existing.rows[0], 'requestStop'),
            }
          : { status: 'not_running' as const };
      });
    },

    async stopRequest(runId) {
      return guard('stopRequest', { runId }, async () => {
        const res = await db.query(`SELECT ${STOP_COLUMNS} FROM stop_requests WHERE run_id = $1`, [runId]);
        return res.rows[0] ? parse(StopRowSchema, res.rows[0], 'stopRequest') : undefined;
      });
    },

    async withdrawStop(runId) {
      return guard('withdrawStop', { runId }, async () => {
        // Only while the run is still running: a request the run acted on stays on its record.
        const res = await db.query(
          `DELETE FROM stop_requests s USING runs r
           WHERE s.run_id = $1 AND r.id = s.run_id AND r.state = 'running'`,
          [runId],
        );
        return res.affectedRows > 0;
      });
    },

    async getPollCursor(name) {
      return guard('getPollCursor', { name }, async () => {
        const res = await db.query('SELECT since, etag FROM poll_cursors WHERE name = $1', [name]);
        return res.rows[0] ? parse(PollCursorRowSchema, res.rows[0], 'getPollCursor') : undefined;
      });
    },

    async setPollCursor(name, cursor) {
      const c = input(PollCursorSchema, cursor, 'poll cursor');
      await guard('setPollCursor', { name }, async () => {
        await db.query(
          `INSERT INTO poll_cursors (name, since, etag) VALUES ($1, $2::timestamptz, $3)
           ON CONFLICT (name) DO UPDATE SET since = excluded.since, etag = excluded.etag, updated_at = now()`,
          [
            input(z.string().min(1).max(200), name, 'poll cursor name'),
            c.since?.toISOString() ?? null,
            c.etag,
          ],
        );
      });
    },

    close: () => db.close(),
  };
}

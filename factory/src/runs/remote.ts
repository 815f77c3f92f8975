import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { StopReasonSchema } from '../policy/schema.ts';
import {
  type CostTotals,
  type EventRecord,
  type LedgerEntry,
  RunIdSchema,
  type RunQuery,
  type RunReader,
  type RunRecord,
  RunStateSchema,
  StepNameSchema,
  type StepRecord,
  StepStatusSchema,
} from './types.ts';

/** The read half of the run store over the owner's status endpoint (runs/status-server.ts). */

export type { RunReader };

const IsoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const RunWire = z.object({
  id: z.string(),
  issue: z.number().int(),
  issueHash: z.string().nullable(),
  author: z.string().nullable(),
  base: z.string(),
  baseSha: z.string(),
  branch: z.string(),
  repo: z.string(),
  state: RunStateSchema,
  stopReason: StopReasonSchema.nullable(),
  pr: z.number().int().nullable(),
  sandbox: z.string().nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  finishedAt: IsoDate.nullable(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: IsoDate.nullable(),
  leaseLive: z.boolean(),
}) satisfies z.ZodType<RunRecord, unknown>;

const StepWire = z.object({
  runId: z.string(),
  name: StepNameSchema,
  seq: z.number().int(),
  status: StepStatusSchema,
  reason: z.string().nullable(),
  result: z.unknown(),
  startedAt: IsoDate,
  durationMs: z.number().int(),
});

const EventWire = z.object({
  runId: z.string(),
  step: z.string(),
  kind: z.enum(['model_call', 'tool_call', 'command', 'note']),
  data: z.record(z.string(), z.unknown()),
  at: IsoDate,
}) satisfies z.ZodType<EventRecord, unknown>;

const CostWire = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationInputTokens: z.number(),
  cacheReadInputTokens: z.number(),
  usd: z.number().nullable(),
  knownUsd: z.number(),
  unpricedCalls: z.number().int(),
  calls: z.number().int(),
}) satisfies z.ZodType<CostTotals, unknown>;

const LedgerWire = z.object({
  runId: z.string(),
  step: z.string(),
  model: z.string(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationInputTokens: z.number(),
  cacheReadInputTokens: z.number(),
  usd: z.number().nullable(),
  at: IsoDate,
}) satisfies z.ZodType<LedgerEntry, unknown>;

const ErrorWire = z.object({ error: z.string() });

export interface RemoteReaderOptions {
  url: string;
  token: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createRemoteReader(options: RemoteReaderOptions): RunReader {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function get<S extends z.ZodType>(
    schema: S,
    path: string,
    params: Record<string, string | number | undefined> = {},
    allow404 = false,
  ): Promise<z.output<S> | undefined> {
    const url = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new FactoryError(
        'store_error',
        `the factory store's owner did not answer at ${base} (${(cause as Error).message}); is it still running?`,
        { url: base },
        { cause },
      );
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (res.status === 404 && allow404) return undefined;
    if (!res.ok) {
      const detail = ErrorWire.safeParse(body);
      throw new FactoryError(
        'store_error',
        `the factory store's owner answered ${res.status} for ${url.pathname}: ${detail.success ? detail.data.error : 'no detail'}`,
        { url: base, status: res.status },
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new FactoryError(
        'store_error',
        `the factory store's owner sent an unexpected answer for ${url.pathname}: ${z.prettifyError(parsed.error)}`,
        { url: base },
      );
    }
    return parsed.data;
  }

  const id = (runId: string) => encodeURIComponent(runId);
  // Same answers as the local store for an id that cannot exist (the endpoint would refuse it).
  const valid = (runId: string) => RunIdSchema.safeParse(runId).success;

  async function listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    return (await get(z.array(RunWire), '/runs', { ...query })) ?? [];
  }

  return {
    getRun: async (runId) => (valid(runId) ? get(RunWire, `/runs/${id(runId)}`, {}, true) : undefined),
    listRuns,
    activeRun: async (issue) => (await listRuns({ issue, state: 'running', limit: 1 }))[0],
    steps: async (runId): Promise<StepRecord[]> =>
      valid(runId) ? ((await get(z.array(StepWire), `/runs/${id(runId)}/steps`)) ?? []) : [],
    events: async (runId, query = {}) =>
      valid(runId) ? ((await get(z.array(EventWire), `/runs/${id(runId)}/events`, { ...query })) ?? []) : [],
    runCost: async (runId) => (await get(CostWire, `/runs/${id(runId)}/cost`))!,
    ledger: async (runId) =>
      valid(runId) ? ((await get(z.array(LedgerWire), `/runs/${id(runId)}/ledger`)) ?? []) : [],
    costSince: async (since) => (await get(CostWire, '/cost', { since: since.toISOString() }))!,
    // Nothing to close: the owner keeps the store.
    close: async () => {},
  };
}

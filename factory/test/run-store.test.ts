import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError, isFactoryError } from '../src/errors.ts';
import { openPostgres } from '../src/runs/db.ts';
import { LeaseKeeper, leaseOwnerId } from '../src/runs/lease.ts';
import { migrate } from '../src/runs/migrate.ts';
import { type OpenedRunStore, openRunReader, openRunStore } from '../src/runs/open.ts';
import { ownerFile, readOwner } from '../src/runs/owner.ts';
import { priceFor, priceUsage } from '../src/runs/prices.ts';
import type { NewRun, Usage } from '../src/runs/types.ts';
import { blankTemplate, seedFrom } from './support/pglite-template.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (process.env.CI && !DATABASE_URL) {
  throw new Error('CI runs the run-store tests on PostgreSQL as well: DATABASE_URL must be set');
}

const silent = pino({ level: 'silent' });
const here = path.dirname(new URL(import.meta.url).pathname);
const factoryDir = path.resolve(here, '..');

let nextIssue = 100;
function newRun(overrides: Partial<NewRun> = {}): NewRun {
  const issue = nextIssue++;
  return {
    issue,
    author: 'alice',
    base: 'main',
    baseSha: 'c0ffee'.padEnd(40, '0'),
    branch: `factory/${issue}-fix`,
    repo: '/repo',
    ...overrides,
  };
}

const usage = (
  inputTokens: number,
  outputTokens: number,
  cacheCreationInputTokens = 0,
  cacheReadInputTokens = 0,
) => ({ inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens }) satisfies Usage;

/** Polls `check` until it returns a value other than undefined/false; fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FactoryError) return err;
    throw err;
  }
  throw new Error('expected a FactoryError, the call succeeded');
}

/** The behaviour every backend must share. `store()` is the open store of the enclosing describe. */
function storeContract(store: () => OpenedRunStore) {
  const ttl = 60_000;

  it('creates, reads and lists runs', async () => {
    const s = store();
    const owner = leaseOwnerId();
    expect(owner).toMatch(new RegExp(`^${hostname()}:${process.pid}:[0-9a-f]{8}$`));
    const input = newRun();
    const run = await s.createRun(input, { owner, ttlMs: ttl });
    expect(run).toMatchObject({ ...input, state: 'running', leaseOwner: owner, leaseLive: true, pr: null });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.leaseExpiresAt!.getTime()).toBeGreaterThan(run.createdAt.getTime());
    expect(await s.getRun(run.id)).toEqual(run);
    expect(await s.getRun('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await s.getRun('not-a-uuid')).toBeUndefined();
    await s.setIssueHash(run.id, 'f'.repeat(64), { owner });
    await s.setPullRequest(run.id, 7);
    await s.setSandbox(run.id, 'bubblewrap');
    const second = await s.createRun(newRun({ issue: input.issue + 1000 }), { owner, ttlMs: ttl });
    expect((await s.listRuns({ issue: input.issue })).map((r) => r.id)).toEqual([run.id]);
    expect((await s.getRun(run.id))!).toMatchObject({
      issueHash: 'f'.repeat(64),
      pr: 7,
      sandbox: 'bubblewrap',
    });
    const recent = (await s.listRuns({ limit: 2 })).map((r) => r.id);
    expect(recent).toEqual([second.id, run.id]);
    expect(await s.runsSince(new Date(Date.now() - 60_000))).toBeGreaterThanOrEqual(2);
    await expect(
      s.createRun({ ...newRun(), baseSha: 'not hex' }, { owner, ttlMs: ttl }),
    ).rejects.toMatchObject({
      code: 'store_error',
    });
  });

  it('allows one running run per issue, typed, and a new one once it ended', async () => {
    const s = store();
    const owner = leaseOwnerId();
    const input = newRun();
    const first = await s.createRun(input, { owner, ttlMs: ttl });
    const err = await rejection(s.createRun(input, { owner: leaseOwnerId(), ttlMs: ttl }));
    expect(err.code).toBe('run_active');
    expect(err.context).toMatchObject({ issue: input.issue, runId: first.id });
    expect((await s.activeRun(input.issue))?.id).toBe(first.id);
    await s.finishRun(first.id, owner, { state: 'merged', stopReason: 'merged' });
    expect(await s.activeRun(input.issue)).toBeUndefined();
    const ended = await s.getRun(first.id);
    expect(ended).toMatchObject({ state: 'merged', stopReason: 'merged', leaseLive: false });
    expect(ended!.finishedAt).toBeInstanceOf(Date);
    const again = await s.createRun(input, { owner, ttlMs: ttl });
    expect(again.id).not.toBe(first.id);
    expect(await s.mergesSince(new Date(Date.now() - 60_000))).toBeGreaterThanOrEqual(1);
  });

  it('upserts steps on resume, keeping their order, and guards them by the lease', async () => {
    const s = store();
    const owner = leaseOwnerId();
    const run = await s.createRun(newRun(), { owner, ttlMs: ttl });
    const at = new Date('2026-01-02T03:04:05.678Z');
    const step = (name: 'intake' | 'triage' | 'implement', status: 'ok' | 'failed', result: unknown) => ({
      runId: run.id,
      name,
      status,
      reason: status === 'failed' ? 'agent_failed' : null,
      result,
      startedAt: at,
      durationMs: 42,
    });
    const intake = await s.saveStep(step('intake', 'ok', { hash: 'abc', labels: ['x'] }), { owner });
    const failed = await s.saveStep(step('implement', 'failed', [1, 'two', { three: 3 }]));
    expect([intake.seq, failed.seq]).toEqual([1, 2]);
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'agent_failed',
      result: [1, 'two', { three: 3 }],
    });
    // The resumed run does the step again: same name, same place in the timeline, new result.
    const redone = await s.saveStep(step('implement', 'ok', { diff: '+1 -0' }), { owner });
    expect(redone).toMatchObject({ seq: 2, status: 'ok', reason: null, result: { diff: '+1 -0' } });
    await s.saveStep(step('triage', 'ok', null));
    const steps = await s.steps(run.id);
    expect(steps.map((x) => [x.name, x.seq, x.status])).toEqual([
      ['intake', 1, 'ok'],
      ['implement', 2, 'ok'],
      ['triage', 3, 'ok'],
    ]);
    expect(steps[0]!.startedAt.toISOString()).toBe(at.toISOString());
    const lost = await rejection(s.saveStep(step('implement', 'ok', {}), { owner: 'someone-else' }));
    expect(lost.code).toBe('lease_lost');
    expect((await rejection(s.saveStep({ ...step('intake', 'ok', {}), name: 'bogus' }))).code).toBe(
      'store_error',
    );
    expect((await rejection(s.setPullRequest(run.id, 3, { owner: 'someone-else' }))).code).toBe('lease_lost');
    expect(await s.triagedByAuthorSince('ALICE', new Date('2026-01-01T00:00:00Z'))).toBeGreaterThanOrEqual(1);
    expect(await s.triagedByAuthorSince('alice', new Date('2026-01-03T00:00:00Z'))).toBe(0);
  });

  it('records events in order and filters them', async () => {
    const s = store();
    const run = await s.createRun(newRun(), { owner: leaseOwnerId(), ttlMs: ttl });
    await s.addEvent({
      runId: run.id,
      step: 'implement',
      kind: 'model_call',
      data: { attempt: 1, usage: { in: 5 } },
    });
    await s.addEvent({
      runId: run.id,
      step: 'implement',
      kind: 'tool_call',
      data: { tool: 'write_file', verdict: 'refused' },
    });
    await s.addEvent({
      runId: run.id,
      step: 'validate',
      kind: 'command',
      data: { name: 'test', exitCode: 1 },
    });
    const all = await s.events(run.id);
    expect(all.map((e) => e.kind)).toEqual(['model_call', 'tool_call', 'command']);
    expect(all[1]).toMatchObject({
      runId: run.id,
      step: 'implement',
      data: { tool: 'write_file', verdict: 'refused' },
    });
    expect(all[0]!.at).toBeInstanceOf(Date);
    expect((await s.events(run.id, { kind: 'command' })).map((e) => e.data)).toEqual([
      { name: 'test', exitCode: 1 },
    ]);
    expect(await s.events(run.id, { step: 'implement', kind: 'command' })).toEqual([]);
    const unknownRun = await rejection(
      s.addEvent({ runId: '00000000-0000-4000-8000-000000000000', step: 'x', kind: 'note', data: {} }),
    );
    expect(unknownRun.code).toBe('store_error');
  });

  it('totals the ledger, never counting an unpriced model as free', async () => {
    const s = store();
    const since = new Date(Date.now() - 1000);
    const run = await s.createRun(newRun(), { owner: leaseOwnerId(), ttlMs: ttl });
    const priced = usage(1000, 500, 2000, 10_000);
    const usd = priceUsage('claude-sonnet-4-6', priced);
    expect(usd).toBeCloseTo(0.021, 9);
    await s.addLedgerEntry({ runId: run.id, step: 'plan', model: 'claude-sonnet-4-6', ...priced, usd });
    expect(await s.runCost(run.id)).toEqual({
      ...priced,
      usd: 0.021,
      knownUsd: 0.021,
      unpricedCalls: 0,
      calls: 1,
    });
    const unknown = usage(300, 20);
    expect(priceUsage('mystery-model-1', unknown)).toBeNull();
    await s.addLedgerEntry({
      runId: run.id,
      step: 'implement',
      model: 'mystery-model-1',
      ...unknown,
      usd: null,
    });
    expect(await s.runCost(run.id)).toEqual({
      inputTokens: 1300,
      outputTokens: 520,
      cacheCreationInputTokens: 2000,
      cacheReadInputTokens: 10_000,
      usd: null,
      knownUsd: 0.021,
      unpricedCalls: 1,
      calls: 2,
    });
    const day = await s.costSince(since);
    expect(day.usd).toBeNull();
    expect(day.unpricedCalls).toBeGreaterThanOrEqual(1);
    expect(day.knownUsd).toBeGreaterThanOrEqual(0.021);
    expect(await s.costSince(new Date(Date.now() + 3_600_000))).toMatchObject({
      calls: 0,
      usd: 0,
      knownUsd: 0,
    });
    expect(await s.runCost('00000000-0000-4000-8000-000000000000')).toMatchObject({ calls: 0, usd: 0 });
    const negative = { runId: run.id, step: 'plan', model: 'x', ...usage(-1, 0), usd: null };
    expect((await rejection(s.addLedgerEntry(negative))).code).toBe('store_error');
  });

  it('lets a lease be taken over only after it expired; the old owner then loses every write', async () => {
    const s = store();
    const a = leaseOwnerId();
    const b = leaseOwnerId();
    const run = await s.createRun(newRun(), { owner: a, ttlMs: ttl });
    expect(await s.acquireLease(run.id, b, ttl)).toBe(false);
    expect(await s.acquireLease(run.id, a, ttl)).toBe(true); // ours already: extended
    expect(await s.expiredRuns().then((runs) => runs.some((r) => r.id === run.id))).toBe(false);
    // A's last heartbeat promises only 1 ms more; by the database's clock it then expires.
    expect(await s.heartbeat(run.id, a, 1)).toBe(true);
    await waitFor('the lease to expire', async () => (await s.getRun(run.id))?.leaseLive === false);
    expect((await s.expiredRuns()).map((r) => r.id)).toContain(run.id);
    expect(await s.acquireLease(run.id, b, ttl)).toBe(true);
    const taken = await s.getRun(run.id);
    expect(taken).toMatchObject({ leaseOwner: b, leaseLive: true });
    const notes = await s.events(run.id, { kind: 'note' });
    expect(notes.map((e) => e.data)).toEqual([
      expect.objectContaining({ event: 'lease_takeover', from: a, to: b }),
    ]);

    expect(await s.heartbeat(run.id, a, ttl)).toBe(false);
    expect(
      (await rejection(s.finishRun(run.id, a, { state: 'failed', stopReason: 'factory_error' }))).code,
    ).toBe('lease_lost');
    expect(
      (
        await rejection(
          s.saveStep(
            {
              runId: run.id,
              name: 'plan',
              status: 'ok',
              reason: null,
              result: {},
              startedAt: new Date(),
              durationMs: 1,
            },
            { owner: a },
          ),
        )
      ).code,
    ).toBe('lease_lost');

    // A's keeper (A woke up after a stall) learns it on its first heartbeat and aborts.
    const stale = new LeaseKeeper({ store: s, runId: run.id, owner: a, ttlMs: 300, logger: silent });
    if (!stale.signal.aborted) await once(stale.signal, 'abort');
    expect(isFactoryError(stale.signal.reason, 'lease_lost')).toBe(true);
    await stale.stop();

    // B's keeper extends B's lease.
    const before = (await s.getRun(run.id))!.leaseExpiresAt!.getTime();
    const keeper = new LeaseKeeper({
      store: s,
      runId: run.id,
      owner: b,
      ttlMs: ttl,
      intervalMs: 20,
      logger: silent,
    });
    await waitFor('a heartbeat', async () => (await s.getRun(run.id))!.leaseExpiresAt!.getTime() > before);
    await keeper.stop();
    expect(keeper.lost).toBe(false);

    await s.finishRun(run.id, b, { state: 'needs-human', stopReason: 'validation_exhausted' });
    const again = await rejection(s.finishRun(run.id, b, { state: 'merged', stopReason: 'merged' }));
    expect(again.code).toBe('store_error');
    expect(again.message).toMatch(/already ended \(needs-human\)/);
    expect(await s.acquireLease(run.id, a, ttl)).toBe(false);
    expect(await s.heartbeat(run.id, b, ttl)).toBe(false);
  });

  it('guards finishRun by state, lease and stop reason; releaseLease frees the run', async () => {
    const s = store();
    const owner = leaseOwnerId();
    const run = await s.createRun(newRun(), { owner, ttlMs: ttl });
    const bad = { state: 'running', stopReason: 'merged' } as unknown as {
      state: 'merged';
      stopReason: string;
    };
    expect((await rejection(s.finishRun(run.id, owner, bad))).code).toBe('store_error');
    expect(
      (await rejection(s.finishRun(run.id, owner, { state: 'merged', stopReason: 'because' }))).code,
    ).toBe('store_error');
    const missing = await rejection(
      s.finishRun('00000000-0000-4000-8000-000000000000', owner, {
        state: 'failed',
        stopReason: 'factory_error',
      }),
    );
    expect(missing.message).toMatch(/does not exist/);
    await s.releaseLease(run.id, owner);
    expect(await s.getRun(run.id)).toMatchObject({ leaseOwner: null, leaseLive: false, state: 'running' });
    expect((await s.expiredRuns()).map((r) => r.id)).toContain(run.id);
    const next = leaseOwnerId();
    expect(await s.acquireLease(run.id, next, ttl)).toBe(true);
    await s.finishRun(run.id, next, { state: 'blocked', stopReason: 'budget_exceeded' });
    expect(await s.getRun(run.id)).toMatchObject({
      state: 'blocked',
      stopReason: 'budget_exceeded',
      leaseOwner: next,
    });
  });
}

describe('prices', () => {
  it('prices known models and their dated ids, and nothing else', () => {
    expect(priceFor('claude-sonnet-4-5-20250929')).toBe(priceFor('claude-sonnet-4-5'));
    expect(priceFor('claude-haiku-4-5-20251001')?.input).toBe(1);
    expect(priceFor('claude-opus-4-20250514')?.output).toBe(75);
    expect(priceFor('claude-opus-4-7')).toBeNull();
    expect(priceFor('claude-opus-4-6-extra')).toBeNull();
    expect(priceFor('toString')).toBeNull();
    expect(priceUsage('claude-opus-4-6', usage(1_000_000, 1_000_000, 1_000_000, 1_000_000))).toBe(
      5 + 25 + 6.25 + 0.5,
    );
    expect(priceUsage('claude-opus-4-1', usage(0, 0, 0, 0))).toBe(0);
    expect(priceUsage('gpt-4o', usage(10, 10))).toBeNull();
  });

  it('bills a long prompt at the long-context rate where the model has one', () => {
    // 150K fresh + 60K read from cache = 210K prompt tokens: above Sonnet 4.5's 200K threshold.
    expect(priceUsage('claude-sonnet-4-5', usage(150_000, 1000, 0, 60_000))).toBeCloseTo(
      (150_000 * 6 + 1000 * 22.5 + 60_000 * 0.6) / 1e6,
      9,
    );
    expect(priceUsage('claude-sonnet-4-6', usage(150_000, 1000, 0, 60_000))).toBeCloseTo(
      (150_000 * 3 + 1000 * 15 + 60_000 * 0.3) / 1e6,
      9,
    );
  });
});

describe('run store on PGlite', () => {
  it('reads nothing, and creates nothing, where no store exists yet', async () => {
    const empty = path.join(tmpdir(), `factory-none-${randomBytes(4).toString('hex')}`);
    const reader = await openRunReader({ dataDir: empty });
    expect(reader.via).toBe('none');
    expect(await reader.listRuns()).toEqual([]);
    expect(await reader.costSince(new Date(0))).toMatchObject({ calls: 0, usd: 0 });
    await reader.close();
    expect(existsSync(empty)).toBe(false);
  });

  let dir: string;
  let store: OpenedRunStore;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'factory-runs-'));
    // A copy of a blank cluster (initdb made it once): every migration still runs from version 0.
    await seedFrom(await blankTemplate(), dir);
    store = await openRunStore({ dataDir: dir, logger: silent, label: 'run-store test' });
    expect(store.kind).toBe('pglite');
    expect(store.migrated).toEqual([1, 2]);
  });

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  storeContract(() => store);

  it('has one owner: a second opener gets the clear error; the status endpoint validates and needs the token', async () => {
    const owner = await readOwner(dir);
    expect(owner).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      label: 'run-store test',
      url: store.statusUrl,
    });
    const err = await rejection(openRunStore({ dataDir: dir, logger: silent }));
    expect(err.code).toBe('store_error');
    expect(err.message).toContain(
      `the factory store ${dir} is in use by pid ${process.pid} (run-store test started`,
    );

    const url = store.statusUrl!;
    const auth = { authorization: `Bearer ${owner!.token}` };
    expect((await fetch(`${url}/runs`)).status).toBe(401);
    expect((await fetch(`${url}/runs?limit=abc`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${url}/runs?colour=red`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${url}/cost`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${url}/runs/00000000-0000-4000-8000-000000000000`, { headers: auth })).status).toBe(
      404,
    );
    expect((await fetch(`${url}/runs`, { method: 'POST', headers: auth })).status).toBe(405);
    expect((await fetch(`${url}/nowhere`, { headers: auth })).status).toBe(404);

    // In this very process the reader goes through the endpoint too (the store is not opened twice).
    const reader = await openRunReader({ dataDir: dir, logger: silent });
    expect(reader.via).toBe('owner');
    const local = await store.listRuns({ limit: 5 });
    expect(await reader.listRuns({ limit: 5 })).toEqual(local);
    expect(await reader.getRun(local[0]!.id)).toEqual(local[0]);
    await reader.close();
  });

  it('across two processes: a stale owner file is replaced, the second opener gets the clear error and reads through the owner', async () => {
    const runs = await store.listRuns({ limit: 1000 });
    await store.close();
    expect(existsSync(ownerFile(dir))).toBe(false);
    // A killed owner leaves its file behind: a pid that is gone on this host is stale.
    const dead = spawn(process.execPath, ['-e', '']);
    const [deadCode] = await once(dead, 'exit');
    expect(deadCode).toBe(0);
    const stale = {
      pid: dead.pid,
      hostname: hostname(),
      token: 'a'.repeat(32),
      startedAt: new Date().toISOString(),
      label: 'pnpm factory loop',
    };
    await writeFile(ownerFile(dir), JSON.stringify(stale));
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'support', 'run-store-owner.ts'), dir],
      { cwd: factoryDir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await Promise.race([
        once(lines, 'line'),
        exited.then(([c]) => {
          throw new Error(`owner process exited (${c}): ${stderr}`);
        }),
      ])) as [string];
      const ready = JSON.parse(line) as { url: string; runId: string; migrated: number[] };
      // Reopened, not migrated again, and the stale file is now the child's.
      expect(ready.migrated).toEqual([]);
      expect(await readOwner(dir)).toMatchObject({ pid: child.pid, url: ready.url });

      const err = await rejection(openRunStore({ dataDir: dir, logger: silent }));
      expect(err.message).toContain(`is in use by pid ${child.pid} (run-store test owner started`);
      expect(err.context).toMatchObject({ reason: 'in_use', owner: { pid: child.pid, url: ready.url } });

      const reader = await openRunReader({ dataDir: dir, logger: silent });
      expect(reader.via).toBe('owner');
      const run = await reader.getRun(ready.runId);
      expect(run).toMatchObject({ issue: 900, author: 'alice', state: 'running', leaseLive: true });
      expect(run!.createdAt).toBeInstanceOf(Date);
      expect((await reader.activeRun(900))?.id).toBe(ready.runId);
      expect((await reader.listRuns({ issue: 900 })).map((r) => r.id)).toEqual([ready.runId]);
      const steps = await reader.steps(ready.runId);
      expect(steps).toMatchObject([{ name: 'triage', seq: 1, status: 'ok', result: { decision: 'accept' } }]);
      expect(steps[0]!.startedAt).toBeInstanceOf(Date);
      expect(await reader.events(ready.runId, { kind: 'model_call' })).toMatchObject([
        { step: 'triage', data: { attempt: 1 } },
      ]);
      const expectedUsd = priceUsage('claude-haiku-4-5', usage(1000, 100));
      expect(await reader.runCost(ready.runId)).toMatchObject({
        calls: 1,
        usd: expectedUsd,
        inputTokens: 1000,
      });
      expect((await reader.costSince(new Date(0))).calls).toBeGreaterThanOrEqual(2);
      expect(await reader.getRun('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      // Everything written before the restart is still there.
      const ids = new Set((await reader.listRuns({ limit: 1000 })).map((r) => r.id));
      expect(runs.every((r) => ids.has(r.id))).toBe(true);
      await reader.close();
    } finally {
      child.stdin.end();
      const [code] = await exited;
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    }
    // The owner is gone: the reader opens the directory itself.
    expect(existsSync(ownerFile(dir))).toBe(false);
    const direct = await openRunReader({ dataDir: dir, logger: silent });
    expect(direct.via).toBe('direct');
    expect((await direct.listRuns({ issue: 900 }))[0]?.author).toBe('alice');
    await direct.close();
  });
});

describe.runIf(DATABASE_URL)('run store on PostgreSQL', () => {
  const url = DATABASE_URL!;
  const schema = `factory_t_${randomBytes(5).toString('hex')}`;
  let store: OpenedRunStore;

  async function dropSchemas(...names: string[]) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    for (const name of names) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
  }

  beforeAll(async () => {
    store = await openRunStore({ databaseUrl: url, dataDir: '/nonexistent/unused', schema, logger: silent });
    expect(store.kind).toBe('postgres');
    expect(store.migrated).toEqual([1, 2]);
  });

  afterAll(async () => {
    await store?.close();
    await dropSchemas(schema);
  });

  storeContract(() => store);

  it('keeps everything in its schema; two processes migrating at once apply each migration once', async () => {
    const fresh = `factory_t_${randomBytes(5).toString('hex')}`;
    try {
      const [a, b] = await Promise.all([openPostgres(url, fresh), openPostgres(url, fresh)]);
      const applied = await Promise.all([migrate(a), migrate(b)]);
      expect(applied.map((v) => v.length).sort()).toEqual([0, 2]);
      expect(await migrate(a)).toEqual([]);
      const tables = await a.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [fresh],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'deliveries',
        'events',
        'ledger',
        'poll_cursors',
        'runs',
        'schema_migrations',
        'steps',
        'stop_requests',
      ]);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await dropSchemas(fresh);
    }
    // Many processes may open a server store: the reader opens it directly, next to this open store.
    const reader = await openRunReader({
      databaseUrl: url,
      dataDir: '/nonexistent/unused',
      schema,
      logger: silent,
    });
    expect(reader.via).toBe('direct');
    expect((await reader.listRuns({ limit: 3 })).length).toBe(3);
    await reader.close();
    await expect(openPostgres(url, 'Robert"); DROP')).rejects.toMatchObject({ code: 'store_error' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isFactoryError } from '../src/errors.ts';
import {
  BudgetGuard,
  type BudgetInput,
  checkBudget,
  estimateInputTokens,
  type PriceFn,
} from '../src/model/budget.ts';
import { AnthropicModelClient, usageOf } from '../src/model/client.ts';
import { textOf, toolUses } from '../src/model/content.ts';
import { callForcedTool, toolFromSchema } from '../src/model/structured.ts';
import type { ModelAttemptEvent, ModelRequest, ModelUsageEvent } from '../src/model/types.ts';
import { PolicySchema } from '../src/policy/schema.ts';
import type { ScenarioInput } from '../src/scripted/scenario.ts';
import { type ScriptedModelServer, startScriptedModelServer } from '../src/scripted/server.ts';

const API_KEY = 'sk-ant-test-key-0123456789abcdef';
const defaultBudgets = PolicySchema.shape.budgets.parse({});

/** Sonnet-like rates per million tokens. */
const price: PriceFn = (model, usage) =>
  model.startsWith('claude-')
    ? (usage.inputTokens * 3 +
        usage.cacheCreationInputTokens * 3.75 +
        usage.cacheReadInputTokens * 0.3 +
        usage.outputTokens * 15) /
      1_000_000
    : null;

const TriageSchema = z
  .object({
    decision: z.enum(['accept', 'reject', 'needs-human']),
    kind: z.enum(['bug', 'feature', 'question', 'other']),
    priority: z.enum(['high', 'normal', 'low']),
    reason: z.string().min(1),
  })
  .strict();
const triageTool = toolFromSchema('triage_decision', 'Record the triage decision.', TriageSchema);
const listTool = toolFromSchema(
  'list_files',
  'List files under a path of the worktree.',
  z.object({ path: z.string().optional() }),
);

const accept = {
  decision: 'accept',
  kind: 'bug',
  priority: 'normal',
  reason: 'search drops exact title matches',
};

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    step: 'triage',
    issue: 7,
    attempt: 0,
    model: 'claude-haiku-4-5',
    system: 'You triage issues for the rag-app repository.',
    messages: [
      { role: 'user', content: 'Issue #7: searching for an exact video title does not return it first.' },
    ],
    tools: [listTool, triageTool],
    toolChoice: { type: 'auto' },
    maxTokens: 1024,
    ...overrides,
  };
}

const openBudget = () =>
  new BudgetGuard({
    policyBudgets: defaultBudgets,
    run: () => ({ turns: 0, tokens: 0, knownUsd: 0, unpricedCalls: 0, startedAt: new Date() }),
    day: () => ({ knownUsd: 0, runs: 1 }),
    price,
  });

const servers: ScriptedModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(scenario: ScenarioInput): Promise<ScriptedModelServer> {
  const server = await startScriptedModelServer({ scenario, apiKey: API_KEY });
  servers.push(server);
  return server;
}

function connect(
  server: ScriptedModelServer,
  options: { stream: boolean; maxRetries?: number; budget?: BudgetGuard; fetch?: typeof fetch },
) {
  const attempts: ModelAttemptEvent[] = [];
  const usages: ModelUsageEvent[] = [];
  const client = new AnthropicModelClient({
    apiKey: API_KEY,
    baseURL: server.url,
    stream: options.stream,
    maxRetries: options.maxRetries ?? 2,
    budget: options.budget ?? openBudget(),
    onAttempt: (event) => {
      attempts.push(event);
    },
    onUsage: (event) => {
      usages.push(event);
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { client, attempts, usages };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const triageScenario: ScenarioInput = {
  responses: [
    {
      step: 'triage',
      issue: 7,
      content: [
        { type: 'text', text: 'The report is specific and reproducible — ünïcödé and emoji 🚀 included.' },
        { type: 'tool_use', name: 'triage_decision', input: accept },
      ],
    },
  ],
};

describe('AnthropicModelClient against the scripted server', () => {
  it('gives the same content and usage streamed and not streamed', async () => {
    const plainServer = await serve(triageScenario);
    const streamServer = await serve(triageScenario);
    const plain = connect(plainServer, { stream: false });
    const streamed = connect(streamServer, { stream: true });

    const a = await plain.client.create(request());
    const b = await streamed.client.create(request());

    expect(plainServer.requests[0]!.stream).toBe(false);
    expect(streamServer.requests[0]!.stream).toBe(true);
    expect(b.content).toEqual(a.content);
    expect(b.usage).toEqual(a.usage);
    expect(b.stopReason).toBe('tool_use');
    expect(a.stopReason).toBe('tool_use');
    expect(toolUses(b)[0]!.input).toEqual(accept);
    expect(textOf(b)).toContain('🚀');
    expect(a.usage.inputTokens).toBeGreaterThan(0);
    expect(a.usage.outputTokens).toBeGreaterThan(0);
    expect(a.requestId).toBe('req_scripted_1');
    expect(b.requestId).toBe('req_scripted_1');
    expect(plain.usages).toHaveLength(1);
    expect(plain.usages[0]).toMatchObject({
      step: 'triage',
      issue: 7,
      model: 'claude-haiku-4-5',
      httpAttempts: 1,
    });
    expect(streamed.usages[0]!.usage).toEqual(b.usage);
    expect(plainServer.remaining()).toEqual([]);
  });

  it('sends the x-factory-* headers and cache_control on the system block and the last tool only', async () => {
    const server = await serve({
      responses: [{ step: 'fix', issue: 12, attempt: 2, content: [{ type: 'text', text: 'ok' }] }],
    });
    const { client } = connect(server, { stream: true });
    await client.create(request({ step: 'fix', issue: 12, attempt: 2, toolChoice: { type: 'any' } }));

    const [sent] = server.requests;
    expect(sent!.headers).toMatchObject({
      'x-factory-step': 'fix',
      'x-factory-issue': '12',
      'x-factory-attempt': '2',
      authorization: `Bearer ${API_KEY}`,
    });
    const body = sent!.body as {
      system: Array<{ cache_control?: unknown }>;
      tools: Array<{ name: string; cache_control?: unknown }>;
      tool_choice: unknown;
    };
    expect(body.system).toHaveLength(1);
    expect(body.system[0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.tools.map((tool) => [tool.name, tool.cache_control ?? null])).toEqual([
      ['list_files', null],
      ['triage_decision', { type: 'ephemeral' }],
    ]);
    expect(body.tool_choice).toEqual({ type: 'any' });
  });

  it('reads cache writes and cache reads from the usage', async () => {
    const server = await serve({
      responses: [
        { step: 'plan', content: [{ type: 'text', text: 'first' }] },
        { step: 'plan', content: [{ type: 'text', text: 'second' }] },
      ],
    });
    const { client } = connect(server, { stream: true });
    const first = await client.create(request({ step: 'plan' }));
    const second = await client.create(request({ step: 'plan' }));
    expect(first.usage.cacheCreationInputTokens).toBeGreaterThan(0);
    expect(first.usage.cacheReadInputTokens).toBe(0);
    expect(second.usage.cacheCreationInputTokens).toBe(0);
    expect(second.usage.cacheReadInputTokens).toBe(first.usage.cacheCreationInputTokens);
    expect(usageOf({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: null })).toEqual({
      inputTokens: 5,
      outputTokens: 2,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
    });
  });

  it('records a 429 then a success as two HTTP attempts and one usage entry', async () => {
    const server = await serve({
      responses: [
        {
          step: 'triage',
          fault: 429,
          content: [{ type: 'tool_use', name: 'triage_decision', input: accept }],
          usage: { input_tokens: 900, output_tokens: 40 },
        },
      ],
    });
    const { client, attempts, usages } = connect(server, { stream: false });
    const response = await client.create(request());

    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(attempts.map((a) => [a.retry, a.status, a.requestId])).toEqual([
      [0, 429, 'req_scripted_1'],
      [1, 200, 'req_scripted_2'],
    ]);
    expect(attempts[0]!.error).toMatch(/^rate_limit_error: /);
    expect(attempts[1]!.error).toBeNull();
    expect(usages).toHaveLength(1);
    expect(usages[0]).toMatchObject({ httpAttempts: 2, requestId: 'req_scripted_2' });
    expect(response.usage).toMatchObject({ inputTokens: 900, outputTokens: 40 });
  });

  it('retries a 529 overloaded answer on a streamed call', async () => {
    const server = await serve({
      responses: [{ step: 'review', fault: 529, content: [{ type: 'text', text: 'looks fine' }] }],
    });
    const { client, attempts, usages } = connect(server, { stream: true });
    const response = await client.create(request({ step: 'review' }));
    expect(textOf(response)).toBe('looks fine');
    expect(attempts.map((a) => [a.retry, a.status, a.streamed])).toEqual([
      [0, 529, true],
      [1, 200, true],
    ]);
    expect(attempts[0]!.error).toMatch(/^overloaded_error: /);
    expect(usages).toHaveLength(1);
  });

  it('turns a failure into model_error with status, type and request id, without the API key', async () => {
    const server = await serve({ responses: [{ step: 'triage', fault: 500, content: [] }] });
    const { client, attempts } = connect(server, { stream: false, maxRetries: 0 });
    const err = await caught(client.create(request()));
    expect(isFactoryError(err, 'model_error')).toBe(true);
    if (!isFactoryError(err)) return;
    expect(err.context).toMatchObject({
      status: 500,
      type: 'api_error',
      requestId: 'req_scripted_1',
      httpAttempts: 1,
    });
    expect(attempts).toHaveLength(1);

    // A transport failure whose text holds the key: the key is redacted from the message and context.
    const leaky: typeof fetch = async () => {
      throw new Error(`connect ECONNREFUSED while sending x-api-key=${API_KEY}`);
    };
    const broken = connect(server, { stream: true, maxRetries: 1, fetch: leaky });
    const failure = await caught(broken.client.create(request()));
    expect(isFactoryError(failure, 'model_error')).toBe(true);
    if (!isFactoryError(failure)) return;
    expect(failure.context).toMatchObject({ type: 'connection_error', httpAttempts: 2 });
    expect(broken.attempts.map((a) => [a.retry, a.status])).toEqual([
      [0, null],
      [1, null],
    ]);
    const visible = JSON.stringify([failure.message, failure.context, broken.attempts]);
    expect(visible).toContain('[redacted]');
    expect(visible).not.toContain(API_KEY);
  });

  it('says which scripted response is missing', async () => {
    const server = await serve({
      responses: [{ step: 'plan', issue: 3, content: [{ type: 'text', text: 'x' }] }],
    });
    const { client } = connect(server, { stream: false });
    const err = await caught(client.create(request({ step: 'review', issue: 3, attempt: 1 })));
    expect(isFactoryError(err, 'model_error')).toBe(true);
    expect((err as Error).message).toContain('no scripted response for review issue=3 attempt=1');
    expect((err as Error).message).toContain('#0 plan issue=3 attempt=*');
    expect(server.remaining()).toEqual([
      { index: 0, step: 'plan', issue: 3, attempt: undefined, note: undefined },
    ]);
  });

  it('stops before sending when the budget would be exceeded', async () => {
    const server = await serve(triageScenario);
    const budget = new BudgetGuard({
      policyBudgets: PolicySchema.shape.budgets.parse({ run: { tokens: 1_000 } }),
      run: () => ({ turns: 3, tokens: 200, knownUsd: 0.01, unpricedCalls: 0, startedAt: new Date() }),
      day: () => ({ knownUsd: 1, runs: 2 }),
      price,
    });
    const { client, attempts } = connect(server, { stream: true, budget });
    const err = await caught(client.create(request({ maxTokens: 1_024 })));
    expect(isFactoryError(err, 'budget_exceeded')).toBe(true);
    expect((err as { context: unknown }).context).toMatchObject({
      limit: 'run.tokens',
      used: 200,
      cap: 1_000,
    });
    expect(server.requests).toHaveLength(0);
    expect(attempts).toHaveLength(0);
  });

  it('caps an unpriced model by tokens, with totals taken live from the usage', async () => {
    const server = await serve({
      responses: [
        {
          step: 'implement',
          content: [{ type: 'text', text: 'a' }],
          usage: { input_tokens: 2_000, output_tokens: 500 },
        },
        { step: 'implement', content: [{ type: 'text', text: 'b' }] },
      ],
    });
    const usages: ModelUsageEvent[] = [];
    const budget = new BudgetGuard({
      policyBudgets: PolicySchema.shape.budgets.parse({ run: { tokens: 3_500, usd: 0.000_001 } }),
      run: () => ({
        turns: usages.length,
        tokens: usages.reduce((sum, u) => sum + u.usage.inputTokens + u.usage.outputTokens, 0),
        knownUsd: 0,
        unpricedCalls: usages.length,
        startedAt: new Date(),
      }),
      day: () => ({ knownUsd: 0, runs: 1 }),
      price,
    });
    const client = new AnthropicModelClient({
      apiKey: API_KEY,
      baseURL: server.url,
      budget,
      onUsage: (event) => {
        usages.push(event);
      },
    });
    const unpriced = request({ step: 'implement', model: 'local-llama', maxTokens: 1_000 });
    await expect(budget.check(unpriced)).resolves.toMatchObject({
      ok: true,
      unpriced: true,
      worstCaseUsd: null,
    });
    await client.create(unpriced);
    const err = await caught(client.create(unpriced));
    expect(isFactoryError(err, 'budget_exceeded')).toBe(true);
    expect((err as { context: unknown }).context).toMatchObject({ limit: 'run.tokens', used: 2_500 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('callForcedTool', () => {
  it('answers a malformed answer once with the validation error, then takes the corrected one', async () => {
    const server = await serve({
      responses: [
        {
          step: 'triage',
          content: [{ type: 'tool_use', name: 'triage_decision', input: { decision: 'accept' } }],
        },
        { step: 'triage', content: [{ type: 'tool_use', name: 'triage_decision', input: accept }] },
      ],
    });
    const { client } = connect(server, { stream: true });
    const { value, responses } = await callForcedTool({
      client,
      request: request(),
      toolName: 'triage_decision',
      schema: TriageSchema,
    });
    expect(value).toEqual(accept);
    expect(responses).toHaveLength(2);

    const bodies = server.requests.map((r) => r.body as { tool_choice: unknown; messages: unknown[] });
    for (const body of bodies) expect(body.tool_choice).toEqual({ type: 'tool', name: 'triage_decision' });
    const [, assistant, correction] = bodies[1]!.messages as Array<{ role: string; content: unknown }>;
    expect(assistant!.role).toBe('assistant');
    const [result] = correction!.content as Array<{ type: string; is_error?: boolean; content: string }>;
    expect(result).toMatchObject({ type: 'tool_result', is_error: true });
    expect(result!.content).toContain('invalid input for triage_decision');
    expect(result!.content).toContain('priority');
  });

  it('reminds a reply without the tool call (a text answer) and accepts the next', async () => {
    const server = await serve({
      responses: [
        {
          step: 'review',
          issue: 7,
          content: [{ type: 'text', text: 'I think it is fine.' }],
          stopReason: 'end_turn',
        },
        { step: 'review', issue: 7, content: [{ type: 'tool_use', name: 'triage_decision', input: accept }] },
      ],
    });
    const { client } = connect(server, { stream: false });
    const { value } = await callForcedTool({
      client,
      request: request({ step: 'review' }),
      toolName: 'triage_decision',
      schema: TriageSchema,
    });
    expect(value.decision).toBe('accept');
    const last = (server.requests[1]!.body as { messages: Array<{ content: unknown }> }).messages.at(-1)!;
    expect(JSON.stringify(last.content)).toContain('no tool call (stop_reason end_turn)');
  });

  it('fails with malformed_answer after a second malformed answer', async () => {
    const server = await serve({
      responses: [
        { step: 'triage', content: [{ type: 'tool_use', name: 'list_files', input: {} }] },
        {
          step: 'triage',
          content: [{ type: 'tool_use', name: 'triage_decision', input: { ...accept, kind: 'nope' } }],
        },
      ],
    });
    const { client } = connect(server, { stream: true });
    const err = await caught(
      callForcedTool({ client, request: request(), toolName: 'triage_decision', schema: TriageSchema }),
    );
    expect(isFactoryError(err, 'model_error')).toBe(true);
    expect((err as { context: unknown }).context).toMatchObject({
      reason: 'malformed_answer',
      tool: 'triage_decision',
    });
    expect((err as { context: { firstError: string } }).context.firstError).toContain(
      'wrong tool: called list_files',
    );
    expect(server.requests).toHaveLength(2);
    expect(server.remaining()).toEqual([]);
  });
});

describe('checkBudget', () => {
  const base: BudgetInput = {
    policyBudgets: defaultBudgets,
    run: { turns: 0, tokens: 0, knownUsd: 0, unpricedCalls: 0, startedAt: new Date('2026-01-01T10:00:00Z') },
    day: { knownUsd: 0, runs: 1 },
    request: { model: 'claude-sonnet-4-6', estimatedInputTokens: 10_000, maxTokens: 8_000 },
    price,
    now: new Date('2026-01-01T10:05:00Z'),
  };

  it('fits the worst case (cache-write rate for the input, every output token) under each cap', () => {
    const ok = checkBudget(base);
    expect(ok).toEqual({ ok: true, worstCaseUsd: (10_000 * 3.75 + 8_000 * 15) / 1_000_000, unpriced: false });

    expect(checkBudget({ ...base, run: { ...base.run, tokens: 2_990_000 } })).toMatchObject({
      ok: false,
      limit: 'run.tokens',
    });
    expect(checkBudget({ ...base, run: { ...base.run, turns: 150 } })).toMatchObject({
      ok: false,
      limit: 'run.modelTurns',
    });
    expect(checkBudget({ ...base, run: { ...base.run, knownUsd: 14.9 } })).toMatchObject({
      ok: false,
      limit: 'run.usd',
    });
    expect(checkBudget({ ...base, day: { knownUsd: 99.9, runs: 1 } })).toMatchObject({
      ok: false,
      limit: 'day.usd',
    });
    expect(checkBudget({ ...base, day: { knownUsd: 0, runs: 31 } })).toMatchObject({
      ok: false,
      limit: 'day.runs',
    });
    expect(checkBudget({ ...base, now: new Date('2026-01-01T12:00:01Z') })).toMatchObject({
      ok: false,
      limit: 'run.wallMinutes',
    });
    const refused = checkBudget({ ...base, run: { ...base.run, tokens: 2_990_000 } });
    expect(refused.ok === false && refused.reason).toBe(
      'run tokens: 2,990,000 used + 18,000 for this request (worst case) > cap 3,000,000 (run.tokens)',
    );
  });

  it('applies the token and turn caps to a model without a price, and says it is unpriced', () => {
    const unpriced = { ...base, request: { ...base.request, model: 'local-llama' } };
    expect(checkBudget({ ...unpriced, run: { ...base.run, knownUsd: 1_000 } })).toEqual({
      ok: true,
      worstCaseUsd: null,
      unpriced: true,
    });
    expect(checkBudget({ ...unpriced, run: { ...base.run, tokens: 2_990_000 } })).toMatchObject({
      ok: false,
      limit: 'run.tokens',
    });
    expect(checkBudget({ ...unpriced, run: { ...base.run, turns: 150 } })).toMatchObject({
      ok: false,
      limit: 'run.modelTurns',
    });
  });

  it('estimates input tokens conservatively from the serialized request', () => {
    const req = request();
    const chars = JSON.stringify([req.system, req.messages, req.tools]).length;
    expect(estimateInputTokens(req)).toBe(Math.ceil(chars / 3));
  });
});

describe('scripted model server', () => {
  const post = (server: ScriptedModelServer, headers: Record<string, string>, body: unknown) =>
    fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': API_KEY,
        'anthropic-version': '2023-06-01',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const routing = { 'x-factory-step': 'implement', 'x-factory-issue': '4', 'x-factory-attempt': '0' };

  it('refuses requests without routing headers, with a bad body or an unanswered tool_use', async () => {
    const server = await serve({
      responses: [{ step: 'implement', content: [{ type: 'text', text: 'x' }] }],
    });
    const minimal = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

    const noHeaders = await post(server, {}, minimal);
    expect(noHeaders.status).toBe(400);
    expect(await noHeaders.text()).toContain('x-factory-step');

    const badBody = await post(server, routing, { model: 'm', messages: [] });
    expect(badBody.status).toBe(400);
    const badJson = (await badBody.json()) as { type: string; error: { type: string; message: string } };
    expect(badJson.type).toBe('error');
    expect(badJson.error.type).toBe('invalid_request_error');
    expect(badJson.error.message).toContain('max_tokens');

    const unanswered = await post(server, routing, {
      ...minimal,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'list_files', input: {} }] },
        { role: 'user', content: [{ type: 'text', text: 'go on' }] },
      ],
    });
    expect(unanswered.status).toBe(400);
    expect(await unanswered.text()).toContain('toolu_1');

    const wrongKey = await post(server, { ...routing, 'x-api-key': 'other' }, minimal);
    expect(wrongKey.status).toBe(401);

    const ok = await post(server, routing, minimal);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('request-id')).toBe('req_scripted_5');
    expect(server.requests.map((r) => r.status)).toEqual([400, 400, 400, 401, 200]);
  });

  it('sends retry-after with a 429', async () => {
    const server = await serve({ responses: [{ step: 'implement', fault: 429, content: [] }] });
    const minimal = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const limited = await post(server, routing, minimal);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('retry-after-ms')).toBe('1');
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    const answered = await post(server, routing, minimal);
    expect(answered.status).toBe(200);
  });
});

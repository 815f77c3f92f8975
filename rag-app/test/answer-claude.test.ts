import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeAnswerer, UNGROUNDED_ANSWER, UNGROUNDED_NOTICE } from '../src/answer/claude.ts';
import { LlmError } from '../src/answer/errors.ts';
import { createAnswerer } from '../src/answer/index.ts';
import { NOT_COVERED_TOKEN, SYSTEM_PROMPT } from '../src/answer/prompt.ts';
import { REFUSAL_ANSWER } from '../src/answer/refusal.ts';
import { deepLink } from '../src/types.ts';
import { pivHits } from './answer-fixtures.ts';
import {
  type AnthropicScript,
  type AnthropicServer,
  requestApiKey,
  requestText,
  startAnthropicServer,
  systemText,
} from './support/anthropic-server.ts';

const MODEL = 'claude-test-model';
const KEY = 'sk-ant-test-key';
const question = 'What are the three stages of the PIV loop?';

let server: AnthropicServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function answererFor(script: AnthropicScript, options: { maxRetries?: number } = {}) {
  server = await startAnthropicServer(script, { apiKey: KEY });
  return new ClaudeAnswerer({
    apiKey: KEY,
    baseURL: server.url,
    model: MODEL,
    maxRetries: options.maxRetries ?? 0,
  });
}

async function rejection(p: Promise<unknown>): Promise<LlmError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

describe('ClaudeAnswerer against a local Messages API', () => {
  it('streams a grounded answer and turns passage markers into citations', async () => {
    const answerer = await answererFor([
      {
        text: 'The PIV loop has three stages [1]: planning, implementing and validating [1][2]. The plan is part of the context [3].',
        usage: { input_tokens: 812, output_tokens: 31 },
      },
    ]);
    const hits = pivHits();
    // Rank 3 first in the reply: citations follow the reply's order, not the ranks.
    const tokens: string[] = [];
    const out = await answerer.answer(question, hits, { onToken: (t) => tokens.push(t) });

    expect(out.refused).toBe(false);
    expect(out.answer).toBe(
      'The PIV loop has three stages [1]: planning, implementing and validating [1][2]. The plan is part of the context [3].',
    );
    // Streamed a cited sentence at a time: text shows once the marker after it names a given passage.
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    expect(tokens.join('')).toBe(out.answer);
    expect(out.usage).toEqual({ inputTokens: 812, outputTokens: 31, model: MODEL });
    expect(out.citations.map((c) => [c.videoId, c.start])).toEqual([
      ['piv1234567a', 120],
      ['piv1234567a', 180],
      ['other000001', 315],
    ]);
    expect(out.citations[2]).toMatchObject({
      title: 'Context Engineering Is the New Vibe Coding',
      url: deepLink('other000001', 315),
      end: 330,
      text: 'and the plan you write in the piv loop is a big part of that context',
    });

    const [request] = server!.requests;
    expect(server!.requests).toHaveLength(1);
    expect(request!.path).toBe('/v1/messages');
    expect(requestApiKey(request!)).toBe(KEY);
    expect(request!.headers['anthropic-version']).toBeDefined();
    expect(request!.body).toMatchObject({ model: MODEL, stream: true, max_tokens: 1024 });
    expect(systemText(request!.body)).toBe(SYSTEM_PROMPT);
    const prompt = requestText(request!.body);
    for (const [i, hit] of hits.entries()) expect(prompt).toContain(`[${i + 1}] "${hit.title}"`);
    expect(prompt).toContain(hits[0]!.text);
    expect(prompt).toContain(`Question: ${question}`);
  });

  it('renumbers citations by first appearance', async () => {
    const answerer = await answererFor([
      {
        text: 'Context matters [3]. Plan first [1, 3].',
        chunks: ['Context matters [', '3]. Plan', ' first [1, 3].'],
      },
    ]);
    const tokens: string[] = [];
    const out = await answerer.answer(question, pivHits(), { onToken: (t) => tokens.push(t) });
    expect(out.answer).toBe('Context matters [1]. Plan first [2][1].');
    expect(tokens.join('')).toBe(out.answer);
    expect(out.citations.map((c) => c.videoId)).toEqual(['other000001', 'piv1234567a']);
  });

  it('turns the refusal token into refused: true without showing it', async () => {
    const answerer = await answererFor([{ text: NOT_COVERED_TOKEN, chunks: ['NOT_COVERED', '_BY_VIDEOS'] }]);
    const tokens: string[] = [];
    const out = await answerer.answer('What did Cole say about COBOL?', pivHits(), {
      onToken: (t) => tokens.push(t),
    });
    expect(out).toMatchObject({ answer: REFUSAL_ANSWER, refused: true, citations: [] });
    expect(out.usage?.model).toBe(MODEL);
    expect(tokens).toEqual([REFUSAL_ANSWER]);
  });

  it('refuses in its own words for a question the passages do not answer (the grounded prompt asks it to)', async () => {
    const answerer = await answererFor([{ text: NOT_COVERED_TOKEN }]);
    const out = await answerer.answer('What does Cole think about Rust for web servers?', pivHits());
    expect(out).toMatchObject({ refused: true, citations: [] });
    // What the model was told: only the passages, and refuse when a named subject is not discussed.
    expect(systemText(server!.requests[0]!.body)).toContain('never actually discuss');
    expect(requestText(server!.requests[0]!.body)).toContain(
      'Question: What does Cole think about Rust for web servers?',
    );
  });

  it('rejects an answer citing a passage it was not given, and never shows it', async () => {
    // Three passages were sent; the reply rests on a fourth.
    const answerer = await answererFor([
      {
        text: 'Rust is his pick for fast web servers [4].',
        chunks: ['Rust is his pick', ' for fast web servers [4].'],
      },
    ]);
    const tokens: string[] = [];
    const out = await answerer.answer(question, pivHits(), { onToken: (t) => tokens.push(t) });
    expect(out).toMatchObject({ answer: UNGROUNDED_ANSWER, refused: true, citations: [] });
    expect(tokens.join('')).toBe(UNGROUNDED_ANSWER);
    expect(tokens.join('')).not.toMatch(/Rust/);
  });

  it('keeps the grounded sentences of a reply and drops the rest from the first ungrounded citation', async () => {
    const answerer = await answererFor([
      {
        text: 'The loop has three stages [1]. Rust makes it faster [9]. And more [2].',
        chunks: ['The loop has three ', 'stages [1]. Rust makes', ' it faster [9]. And more [2].'],
      },
    ]);
    const tokens: string[] = [];
    const out = await answerer.answer(question, pivHits(), { onToken: (t) => tokens.push(t) });
    expect(out.refused).toBe(false);
    expect(out.answer).toBe(`The loop has three stages [1].\n\n${UNGROUNDED_NOTICE}`);
    expect(out.citations.map((c) => c.videoId)).toEqual(['piv1234567a']);
    expect(tokens.join('')).toBe(out.answer);
    expect(tokens.join('')).not.toMatch(/Rust|more/);
  });

  it('refuses without calling the API when there are no hits', async () => {
    const answerer = await answererFor([]);
    const out = await answerer.answer(question, []);
    expect(out).toEqual({ answer: REFUSAL_ANSWER, refused: true, citations: [] });
    expect(server!.requests).toHaveLength(0);
  });

  it('reports a rejected key as an auth error', async () => {
    server = await startAnthropicServer([{ text: 'never sent' }], { apiKey: KEY });
    const answerer = new ClaudeAnswerer({
      apiKey: 'wrong-key',
      baseURL: server.url,
      model: MODEL,
      maxRetries: 0,
    });
    const err = await rejection(answerer.answer(question, pivHits()));
    expect(err).toMatchObject({ code: 'llm_auth', kind: 'auth' });
    expect(err.context).toMatchObject({
      status: 401,
      type: 'authentication_error',
      model: MODEL,
      passages: 3,
    });
    expect(err.message).toMatch(/ANTHROPIC_API_KEY/);
    expect(requestApiKey(server.requests[0]!)).toBe('wrong-key');
  });

  it.each([
    [429, 'rate_limit_error', 'rate_limited'],
    [529, 'overloaded_error', 'overloaded'],
    [400, 'invalid_request_error', 'bad_request'],
    [500, 'api_error', 'api_error'],
  ] as const)('maps HTTP %i %s to kind %s', async (status, type, kind) => {
    const answerer = await answererFor([{ kind: 'error', status, type, message: `scripted ${type}` }]);
    const err = await rejection(answerer.answer(question, pivHits()));
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(`llm_${kind}`);
    expect(err.message).toContain(`scripted ${type}`);
    expect(err.context).toMatchObject({ status, type });
    expect(typeof err.context.requestId).toBe('string');
  });

  it('retries an overloaded API, as the SDK does, and then answers', async () => {
    const answerer = await answererFor(
      [
        {
          kind: 'error',
          status: 529,
          type: 'overloaded_error',
          message: 'Overloaded',
          headers: { 'retry-after-ms': '5' },
        },
        { text: 'Plan, implement, validate [1].' },
      ],
      { maxRetries: 1 },
    );
    const out = await answerer.answer(question, pivHits());
    expect(out.answer).toBe('Plan, implement, validate [1].');
    expect(server!.requests).toHaveLength(2);
  });

  it('reports an error event in the middle of the stream', async () => {
    const answerer = await answererFor([
      { kind: 'stream-error', textBefore: 'The loop has', type: 'overloaded_error', message: 'Overloaded' },
    ]);
    const tokens: string[] = [];
    const err = await rejection(answerer.answer(question, pivHits(), { onToken: (t) => tokens.push(t) }));
    expect(err).toMatchObject({ kind: 'overloaded', code: 'llm_overloaded' });
    // Nothing was shown: no citation had grounded the text yet.
    expect(tokens.join('')).toBe('');
  });

  it('reports an unreachable API as unavailable', async () => {
    server = await startAnthropicServer([]);
    const url = server.url;
    await server.close();
    server = null;
    const answerer = new ClaudeAnswerer({ apiKey: KEY, baseURL: url, model: MODEL, maxRetries: 0 });
    const err = await rejection(answerer.answer(question, pivHits()));
    expect(err.kind).toBe('unavailable');
  });

  it('stops streaming when the caller aborts', async () => {
    const answerer = await answererFor([
      {
        text: 'one [1] two [1] three [1] four [1] five [1] six [1] seven [1] eight [1] nine [1] ten [1]',
        delayMs: 20,
      },
    ]);
    const controller = new AbortController();
    const tokens: string[] = [];
    const run = answerer.answer(question, pivHits(), {
      signal: controller.signal,
      onToken: (t) => {
        tokens.push(t);
        if (tokens.length === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tokens.length).toBeLessThan(10);
  });
});

describe('createAnswerer', () => {
  it('uses Claude when ANTHROPIC_API_KEY is set, and the extractive answerer otherwise', () => {
    const base = { ANTHROPIC_BASE_URL: undefined, ANTHROPIC_MODEL: 'claude-sonnet-4-6' };
    expect(createAnswerer({ ...base, ANTHROPIC_API_KEY: 'k' }).name).toBe('claude:claude-sonnet-4-6');
    expect(createAnswerer({ ...base, ANTHROPIC_API_KEY: undefined }).name).toBe('extractive');
  });

  it('sends the configured model to the configured base URL', async () => {
    server = await startAnthropicServer([{ text: 'Plan first [1].' }]);
    const answerer = createAnswerer({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_MODEL: MODEL,
    });
    const out = await answerer.answer(question, pivHits());
    expect(out.answer).toBe('Plan first [1].');
    expect(server.requests[0]!.body?.model).toBe(MODEL);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedCase } from '../src/dataset.ts';
import { anthropicJudge, judgeFromEnv, parseVerdict } from '../src/judge.ts';
import { runCases } from '../src/runner.ts';
import { summarize } from '../src/summarize.ts';
import { fakeRagFromGold } from './helpers/fake-rag.ts';
import { json, startServer, type TestServer } from './helpers/http.ts';

/**
 * A scripted stand-in for the Anthropic Messages API: it judges an answer "supported" when every
 * sentence of it appears in the cited passages, "unsupported" otherwise.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/messages') return json(res, 404, { type: 'error' });
    const body = req.body as { model: string; system: string; messages: { content: string }[] };
    const prompt = body.messages[0]!.content;
    if (prompt.includes('TRIGGER-500')) {
      return json(res, 500, { type: 'error', error: { type: 'api_error', message: 'overloaded' } });
    }
    const answer = prompt.split('ANSWER:\n')[1]!.split('\n\nCITED PASSAGES:')[0]!;
    const passages = prompt.split('CITED PASSAGES:\n')[1]!;
    const sentences = answer.split(/(?<=\.)\s+/).filter(Boolean);
    const verdict = sentences.every((s) => passages.includes(s.replace(/\.$/, '')))
      ? 'supported'
      : 'unsupported';
    json(res, 200, {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [
        {
          type: 'text',
          text: `Verdict below.\n{"verdict": "${verdict}", "reason": "checked ${sentences.length} sentence(s)"}`,
        },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: Math.ceil(prompt.length / 4), output_tokens: 17 },
    });
  });
});
afterAll(() => server.close());

/** The SDK authenticates with x-api-key or a bearer token, depending on its version. */
const keyOf = (h: Record<string, string | string[] | undefined>) =>
  (h['x-api-key'] as string | undefined) ?? (h.authorization as string | undefined)?.replace(/^Bearer /, '');

const cite = (text: string) => ({ videoId: 'v1', start: 10, end: 40, text });

describe('faithfulness judge over the Messages API', () => {
  it('sends the question, answer and cited text, and reads the verdict and usage', async () => {
    const judge = anthropicJudge({
      apiKey: 'test-key',
      baseURL: server.url,
      model: 'claude-haiku-4-5',
      maxRetries: 0,
    });
    const ok = await judge.judge({
      question: 'What is PIV?',
      answer: 'PIV is plan, implement, validate.',
      citations: [cite('and so PIV is plan, implement, validate for every phase')],
    });
    expect(ok).toMatchObject({
      faithful: 1,
      outputTokens: 17,
      model: 'claude-haiku-4-5',
      reason: 'checked 1 sentence(s)',
    });
    expect(ok.inputTokens).toBeGreaterThan(10);
    const bad = await judge.judge({
      question: 'What is PIV?',
      answer: 'PIV is plan, implement, validate. It was invented in 1970.',
      citations: [cite('PIV is plan, implement, validate')],
    });
    expect(bad.faithful).toBe(0);
    const req = server.requests.at(-1)!;
    expect(keyOf(req.headers)).toBe('test-key');
    expect((req.body as { system: string }).system).toMatch(/faithfulness/);
  });

  it('judgeFromEnv only exists with ANTHROPIC_API_KEY and honours ANTHROPIC_BASE_URL', async () => {
    expect(judgeFromEnv({})).toBeUndefined();
    const judge = judgeFromEnv({
      ANTHROPIC_API_KEY: 'k2',
      ANTHROPIC_BASE_URL: server.url,
      EVALS_JUDGE_MODEL: 'claude-sonnet-4-6',
    })!;
    const before = server.requests.length;
    const v = await judge.judge({ question: 'q', answer: 'Answer text.', citations: [cite('Answer text')] });
    expect(v.faithful).toBe(1);
    expect(server.requests.length).toBe(before + 1);
    expect(keyOf(server.requests.at(-1)!.headers)).toBe('k2');
  });

  it('parses verdicts leniently but never guesses', () => {
    expect(parseVerdict('```json\n{"verdict":"partial","reason":"half"}\n```')).toEqual({
      faithful: 0.5,
      reason: 'half',
    });
    expect(() => parseVerdict('I think it is fine')).toThrow(/no verdict/);
    expect(() => parseVerdict('{"verdict":"maybe"}')).toThrow(/no verdict/);
  });

  it('in a run: faithfulness and judge tokens are reported; a judge failure leaves the case unjudged', async () => {
    const cases: LoadedCase[] = [
      {
        id: 'a1',
        kind: 'answerable',
        query: 'What are the stages?',
        facts: ['plan'],
        gold: [{ videoId: 'v1', t: 20 }],
        dataset: 'd',
        line: 1,
      },
      {
        id: 'a2',
        kind: 'answerable',
        query: 'TRIGGER-500 question',
        facts: ['plan'],
        gold: [{ videoId: 'v1', t: 20 }],
        dataset: 'd',
        line: 2,
      },
      { id: 'r1', kind: 'refusal', query: 'Unrelated?', dataset: 'd', line: 3 },
    ];
    const judge = anthropicJudge({
      apiKey: 'k',
      baseURL: server.url,
      model: 'claude-sonnet-4-6',
      maxRetries: 0,
    });
    const results = await runCases(cases, { client: fakeRagFromGold(cases), judge, concurrency: 2 });
    expect(results[0]!.scores.faithfulness).toBe(0);
    expect(results[0]!.judge?.reason).toMatch(/sentence/);
    expect(results[1]!.scores.faithfulness).toBeUndefined();
    expect(results[2]!.scores.faithfulness).toBeUndefined();
    const s = summarize(results, { dataset: ['d'], holdout: false });
    expect(s.metrics.faithfulness).toBe(0);
    expect(s.metrics.judgeOutputTokens).toBe(17);
    expect(s.metrics.judgeUsd).toBeGreaterThan(0);
  });
});

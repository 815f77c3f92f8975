/**
 * Issue 8, items 9 and 10, on PGlite and (with DATABASE_URL) PostgreSQL, through the real app:
 * per-account backoff on failed sign-ins (exact under parallel guesses), sessions ended by a
 * password change and by "sign out everywhere", problem reports that keep to plain data with
 * YouTube links only, guests who delete themselves or are deleted when idle, and a global daily
 * budget on model-written answers (exact under concurrency) after which the offline answerer answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginWaitSeconds } from '../src/accounts/login-backoff.ts';
import { deleteIdleGuests } from '../src/accounts/retention.ts';
import type { Config } from '../src/config.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { type AnthropicServer, startAnthropicServer } from './support/anthropic-server.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
import {
  ApiClient,
  CORPUS_DIR,
  corpusSlice,
  KNOWN_QUESTION,
  makeApp,
  manualClock,
  SLICE,
  tempDir,
  testConfig,
  viaApp,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };
const PASSWORD = 'correct horse battery';

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let anthropic: AnthropicServer;

beforeAll(async () => {
  tmp = tempDir('rag-server-security');
  config = testConfig(tmp.dir, { IP_RATE_PER_MINUTE: '10000', ALLOW_ANONYMOUS: '1', DAILY_MESSAGE_CAP: '5' });
  anthropic = await startAnthropicServer(() => ({
    text: 'The PIV loop has three stages: plan, implement and validate [1].',
    usage: { input_tokens: 1000, output_tokens: 20 },
  }));
});
afterAll(async () => {
  await anthropic?.close();
  tmp?.remove();
});

describe.each(templateStoreTargets())('on $name', (target) => {
  let rag: Rag;
  const time = manualClock();

  beforeAll(async () => {
    rag = await openRag(config, { db: await target.open() });
    expect((await rag.ingest(corpusSlice(CORPUS_DIR, SLICE.slice(0, 2)))).added).toBe(2);
  });
  afterAll(async () => rag?.close());

  const app = () => makeApp(rag, config, { clock: time.clock }).app;
  const login = (c: ApiClient, email: string, password: string) =>
    c.json<ErrorJson>('/api/auth/login', { json: { email, password } });

  it('backs off per account after five failed sign-ins, exactly, even for parallel guesses', async () => {
    const a = app();
    const owner = new ApiClient(viaApp(a));
    await owner.signup(`victim-${target.name}@example.com`);
    // Each guess from a new address, as behind a proxy or a botnet: only the account counts them.
    const guesses = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const c = new ApiClient(viaApp(a, `198.51.100.${i + 1}`));
        await c.me();
        return login(c, `victim-${target.name}@example.com`, `wrong password ${i}`);
      }),
    );
    const codes = guesses.map((g) => g.body.error.code).sort();
    expect(codes).toEqual([...Array(5).fill('invalid_credentials'), ...Array(3).fill('login_backoff')]);

    // Even the right password waits now, with the time to wait.
    const c = new ApiClient(viaApp(a));
    await c.me();
    const res = await c.request('/api/auth/login', {
      json: { email: `victim-${target.name}@example.com`, password: PASSWORD },
    });
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '30']);
    expect(((await res.json()) as ErrorJson).error.message).toBe(
      'too many failed sign-ins for this account: try again in 30 s',
    );
    time.advance(30_000);
    expect((await login(c, `victim-${target.name}@example.com`, PASSWORD)).status).toBe(200);
    // A success clears the count: five free attempts again.
    for (let i = 0; i < 5; i++)
      expect((await login(c, `victim-${target.name}@example.com`, 'nope nope')).status).toBe(401);
    expect((await login(c, `victim-${target.name}@example.com`, 'nope nope')).status).toBe(429);
    expect([5, 6, 7, 20].map(loginWaitSeconds)).toEqual([30, 60, 120, 900]);
  });

  it('ends every other session when the password changes, and all of them on "sign out everywhere"', async () => {
    const a = app();
    const email = `mover-${target.name}@example.com`;
    const laptop = new ApiClient(viaApp(a));
    await laptop.signup(email);
    const phone = new ApiClient(viaApp(a));
    await phone.me();
    expect((await login(phone, email, PASSWORD)).status).toBe(200);

    const wrong = await laptop.json<ErrorJson>('/api/auth/password', {
      json: { currentPassword: 'not it at all', newPassword: 'a brand new password' },
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'invalid_credentials']);
    const changed = await laptop.request('/api/auth/password', {
      json: { currentPassword: PASSWORD, newPassword: 'a brand new password' },
    });
    expect(changed.status).toBe(204);
    expect((await phone.me()).user).toBeNull();
    expect((await laptop.me()).user?.email).toBe(email);
    expect((await login(phone, email, PASSWORD)).status).toBe(401);
    expect((await login(phone, email, 'a brand new password')).status).toBe(200);

    const everywhere = await phone.json<{ sessionsEnded: number }>('/api/auth/logout-all', { json: {} });
    expect([everywhere.status, everywhere.body.sessionsEnded]).toEqual([200, 2]);
    expect((await phone.me()).user).toBeNull();
    expect((await laptop.me()).user).toBeNull();
  });

  it('files problem reports as plain data: YouTube https links only, no control characters', async () => {
    const c = new ApiClient(viaApp(app()));
    await c.signup(`reporter-${target.name}@example.com`);
    const cite = (url: string) => ({
      videoId: 'm8VC2SV2igM',
      title: 'A video',
      start: 1,
      end: 2,
      url,
      text: 'said',
    });
    for (const url of [
      'javascript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'http://youtu.be/m8VC2SV2igM?t=1',
      'https://evil.example/youtu.be',
    ]) {
      const res = await c.json<ErrorJson>('/api/issues', {
        json: { question: 'q', answer: 'a', citations: [cite(url)] },
      });
      expect([url, res.status, res.body.error.code]).toEqual([url, 400, 'invalid_input']);
      expect(res.body.error.message).toMatch(/citation url must be an https link to YouTube/);
    }
    const control = await c.json<ErrorJson>('/api/issues', {
      json: { question: 'q', answer: 'a', comment: 'bell \u0007' },
    });
    expect([control.status, control.body.error.message]).toEqual([
      400,
      'comment contains a control character (only tabs and line breaks are allowed)',
    ]);
    const ok = await c.json('/api/issues', {
      json: { question: 'q', answer: 'a\nb', citations: [cite('https://youtu.be/m8VC2SV2igM?t=1')] },
    });
    expect(ok.status).toBe(201);
  });

  it('lets a guest delete themselves, and deletes guests idle past GUEST_RETENTION_DAYS', async () => {
    const a = app();
    const count = async (sql: string, params: unknown[] = []) =>
      (await rag.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;
    const leaving = new ApiClient(viaApp(a));
    await leaving.me();
    const { body: conv } = await leaving.json<{ id: string }>('/api/conversations', {
      json: { title: 'mine' },
    });
    expect((await leaving.me()).guestRetentionDays).toBe(30);
    expect((await leaving.request('/api/me', { method: 'DELETE' })).status).toBe(204);
    expect(await count('conversations WHERE id = $1', [conv.id])).toBe(0);
    expect((await leaving.me()).user).toBeNull();

    // An account is not deleted that way.
    const account = new ApiClient(viaApp(a));
    await account.signup(`stays-${target.name}@example.com`);
    expect((await account.json<ErrorJson>('/api/me', { method: 'DELETE' })).body.error.code).toBe(
      'account_not_deleted',
    );

    const idle = new ApiClient(viaApp(a));
    await idle.me();
    await idle.json('/api/conversations', { json: { title: 'old' } });
    time.advance(20 * 24 * 3600 * 1000);
    const recent = new ApiClient(viaApp(a));
    await recent.me();
    await recent.json('/api/conversations', { json: { title: 'recent' } });
    time.advance(11 * 24 * 3600 * 1000);
    const guestsBefore = await count('users WHERE password_hash IS NULL');
    expect(await deleteIdleGuests(rag.db, 30, time.clock())).toBe(1);
    expect(await count('users WHERE password_hash IS NULL')).toBe(guestsBefore - 1);
    expect(await count("conversations WHERE title = 'old'")).toBe(0);
    expect(await count("conversations WHERE title = 'recent'")).toBe(1);
    expect((await recent.me()).user?.anonymous).toBe(true);
    expect((await idle.me()).user).toBeNull();
    expect(await count('users WHERE password_hash IS NOT NULL')).toBeGreaterThan(0);
  });

  it('caps model-written answers for everyone together, exactly under concurrency, then answers offline', async () => {
    const modelConfig: Config = {
      ...config,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: anthropic.url,
      MODEL_DAILY_ANSWER_CAP: 3,
    };
    const claude = await openRag(modelConfig, { db: rag.db });
    const a = makeApp(claude, modelConfig, { clock: time.clock }).app;
    const before = anthropic.requests.length;
    // Eight guests at once, each well inside their own cap: only three reach the model.
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new ApiClient(viaApp(a));
        await c.me();
        return c.json<{ answer: string; offline?: boolean; usage?: unknown }>('/api/ask', {
          json: { question: KNOWN_QUESTION },
        });
      }),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(anthropic.requests.length - before).toBe(3);
    expect(answers.filter((r) => r.body.offline === true)).toHaveLength(5);
    expect(answers.filter((r) => r.body.usage !== undefined)).toHaveLength(3);
    const ready = await a.request('/readyz');
    expect(((await ready.json()) as { modelAnswers: unknown }).modelAnswers).toEqual({
      answersToday: 3,
      answerCap: 3,
      spentUsd: 0.0099,
      spendCapUsd: 5,
      offline: true,
    });
    // A day later the budget is back.
    time.advance(24 * 3600 * 1000 + 1);
    const next = new ApiClient(viaApp(a));
    await next.me();
    expect(
      (await next.json<{ offline?: boolean }>('/api/ask', { json: { question: KNOWN_QUESTION } })).body
        .offline,
    ).toBe(undefined);

    // The spend cap: one answer costs $0.0033 (1,000 input and 20 output tokens); the cap is $0.005.
    const spendConfig = { ...modelConfig, MODEL_DAILY_ANSWER_CAP: 100, MODEL_DAILY_SPEND_USD: 0.005 };
    time.advance(24 * 3600 * 1000 + 1);
    const b = makeApp(claude, spendConfig, { clock: time.clock }).app;
    const asker = new ApiClient(viaApp(b));
    await asker.me();
    const offline: (boolean | undefined)[] = [];
    for (let i = 0; i < 3; i++)
      offline.push(
        (await asker.json<{ offline?: boolean }>('/api/ask', { json: { question: KNOWN_QUESTION } })).body
          .offline,
      );
    expect(offline).toEqual([undefined, undefined, true]);
  });
});

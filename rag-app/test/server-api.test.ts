/**
 * The HTTP API through Hono's request helper, on the real openRag over a slice of the real corpus.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../src/accounts/admins.ts';
import type { Config } from '../src/config.ts';
import { StoreError } from '../src/errors.ts';
import type { Rag } from '../src/rag.ts';
import { acquireLease } from '../src/sync/lease.ts';
import { INGEST_LEASE } from '../src/sync/syncer.ts';
import type { AskResult, SearchHit } from '../src/types.ts';
import { openSliceRagFromTemplate } from './support/pglite-templates.ts';
import {
  ApiClient,
  KNOWN_QUESTION,
  makeApp,
  manualClock,
  parseSse,
  SLICE,
  type TestService,
  tempDir,
  testConfig,
  UNKNOWN_QUESTION,
  viaApp,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };
type AskJson = AskResult & { conversationId?: string; messageId?: number };

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let rag: Rag;
let svc: TestService;
const time = manualClock();

function client(ip?: string): ApiClient {
  return new ApiClient(viaApp(svc.app, ip));
}

function expectNoStack(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(text).not.toMatch(/node_modules|\/src\//);
}

beforeAll(async () => {
  tmp = tempDir('rag-server-api');
  config = testConfig(tmp.dir, { DAILY_MESSAGE_CAP: '6', IP_RATE_PER_MINUTE: '10000' });
  rag = await openSliceRagFromTemplate(config);
  svc = makeApp(rag, config, { clock: time.clock });
});

afterAll(async () => {
  await rag?.close();
  tmp?.remove();
});

describe('health', () => {
  it('healthz says the process is up and readyz that the corpus is loaded', async () => {
    const c = client();
    expect((await c.json('/healthz')).body).toEqual({ ok: true });
    const ready = await c.json<{ ready: boolean; videos: number; chunks: number }>('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.videos).toBe(SLICE.length);
    expect(ready.body.chunks).toBeGreaterThan(SLICE.length);
  });
});

describe('errors are JSON with a reason and no stack', () => {
  it('refuses bad input on every count', async () => {
    const c = client();
    const cases: { res: Response; status: number; code: string; mention?: RegExp }[] = [
      { res: await c.request('/api/nope'), status: 404, code: 'not_found' },
      {
        res: await c.request('/api/search', {
          method: 'POST',
          body: '{"query": ',
          headers: { 'content-type': 'application/json' },
        }),
        status: 400,
        code: 'bad_json',
      },
      {
        res: await c.request('/api/search', {
          method: 'POST',
          body: '{"query":"x"}',
          headers: { 'content-type': 'text/plain' },
        }),
        status: 403,
        code: 'forbidden_origin',
      },
      {
        res: await c.request('/api/search', { method: 'POST', body: '{"query":"x"}' }),
        status: 403,
        code: 'forbidden_origin',
      },
      {
        res: await c.request('/api/search', {
          method: 'POST',
          body: '{"query":"x"}',
          headers: { 'content-type': 'application/x-ndjson' },
        }),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        res: await c.request('/api/search', { json: { query: 'agents', sneaky: true } }),
        status: 400,
        code: 'invalid_input',
        mention: /unknown field: sneaky/,
      },
      {
        res: await c.request('/api/search', { json: { query: 'agents', k: 500 } }),
        status: 400,
        code: 'invalid_input',
        mention: /^k: /,
      },
      {
        res: await c.request('/api/search', { json: { query: 'x'.repeat(2001) } }),
        status: 400,
        code: 'invalid_input',
        mention: /query is too long \(at most 2000 characters\)/,
      },
      {
        res: await c.request('/api/search', { json: { query: 'a'.repeat(70_000) } }),
        status: 413,
        code: 'body_too_large',
      },
      { res: await c.request('/api/videos?limit=abc'), status: 400, code: 'invalid_input', mention: /limit/ },
      { res: await c.request('/api/videos?color=red'), status: 400, code: 'invalid_input', mention: /color/ },
      { res: await c.request('/api/videos/not-a-video'), status: 404, code: 'video_not_found' },
    ];
    for (const { res, status, code, mention } of cases) {
      const body = (await res.json()) as ErrorJson;
      expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
      expect(body.error.message.length).toBeGreaterThan(5);
      if (mention) expect(body.error.message).toMatch(mention);
      expectNoStack(body);
    }
  });

  it('refuses an over-long question with its reason', async () => {
    const c = client();
    await c.signup('long@example.com');
    const res = await c.json<ErrorJson>('/api/ask', { json: { question: 'why '.repeat(600) } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('question is too long (at most 2000 characters)');
  });
});

describe('accounts', () => {
  it('signs up with a hashed password and an httpOnly, SameSite=Lax session cookie stored hashed', async () => {
    const c = client();
    await c.me();
    const res = await c.request('/api/auth/signup', {
      json: { email: ' Alice@Example.com ', password: 'wonderland-42' },
    });
    expect(res.status).toBe(201);
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('rag_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const { user } = await c.me();
    expect(user?.email).toBe('alice@example.com');

    const token = c.cookies.get('rag_session')!;
    const sessions = await rag.db.query<{ token_hash: string }>(
      'SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1',
      ['alice@example.com'],
    );
    expect(sessions.rows.map((r) => r.token_hash)).toEqual([
      createHash('sha256').update(token).digest('hex'),
    ]);
    const users = await rag.db.query<{ password_hash: string }>(
      `SELECT password_hash FROM users WHERE email IN ('alice@example.com', 'long@example.com')`,
    );
    for (const r of users.rows) expect(r.password_hash).toMatch(/^scrypt\$\d+\$8\$1\$[\w+/=]+\$[\w+/=]+$/);
    expect(users.rows[0]!.password_hash.split('$')[4]).not.toBe(users.rows[1]!.password_hash.split('$')[4]);
  });

  it('sets Secure cookies behind https', async () => {
    const c = client();
    await c.me();
    const res = await c.request('/api/auth/signup', {
      json: { email: 'secure@example.com', password: 'wonderland-42' },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.headers.getSetCookie().find((l) => l.startsWith('rag_session='))).toMatch(/; Secure/i);
  });

  it('refuses a taken email, a wrong password, a weak password; logs in and out', async () => {
    const c = client();
    await c.me();
    expect(
      (
        await c.json<ErrorJson>('/api/auth/signup', {
          json: { email: 'alice@example.com', password: 'whatever-123' },
        })
      ).body.error.code,
    ).toBe('email_taken');
    const weak = await c.json<ErrorJson>('/api/auth/signup', {
      json: { email: 'bob@example.com', password: 'short' },
    });
    expect(weak.body.error.message).toMatch(/password is too short/);
    const wrong = await c.json<ErrorJson>('/api/auth/login', {
      json: { email: 'alice@example.com', password: 'nope-nope-nope' },
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'invalid_credentials']);
    const unknown = await c.json<ErrorJson>('/api/auth/login', {
      json: { email: 'who@example.com', password: 'nope-nope-nope' },
    });
    expect(unknown.body.error.message).toBe(wrong.body.error.message);

    expect(
      (await c.json('/api/auth/login', { json: { email: 'ALICE@example.com', password: 'wonderland-42' } }))
        .status,
    ).toBe(200);
    expect((await c.me()).user?.email).toBe('alice@example.com');
    const token = c.cookies.get('rag_session')!;
    expect((await c.request('/api/auth/logout', { method: 'POST' })).status).toBe(204);
    expect((await c.me()).user).toBeNull();
    const left = await rag.db.query('SELECT 1 FROM sessions WHERE token_hash = $1', [
      createHash('sha256').update(token).digest('hex'),
    ]);
    expect(left.rows).toHaveLength(0);
    // The old cookie no longer works even if replayed.
    c.cookies.set('rag_session', token);
    expect((await c.me()).user).toBeNull();
  });

  it('expires sessions', async () => {
    const c = client();
    await c.signup('shortlived@example.com');
    expect((await c.me()).user?.email).toBe('shortlived@example.com');
    time.advance(31 * 24 * 3600 * 1000);
    expect((await c.me()).user).toBeNull();
  });

  it('requires the CSRF token on state-changing requests with a session, and on the auth routes', async () => {
    const c = client();
    await c.signup('csrf@example.com');
    const noToken = await c.json<ErrorJson>('/api/conversations', { json: {}, noCsrf: true });
    expect([noToken.status, noToken.body.error.code]).toEqual([403, 'csrf_failed']);
    const wrong = await c.json<ErrorJson>('/api/conversations', {
      json: {},
      headers: { 'x-csrf-token': 'x'.repeat(43) },
      noCsrf: true,
    });
    expect(wrong.status).toBe(403);
    expect((await c.json('/api/conversations', { json: {} })).status).toBe(201);

    const fresh = client();
    const login = await fresh.json<ErrorJson>('/api/auth/login', {
      json: { email: 'csrf@example.com', password: 'correct horse battery' },
    });
    expect(login.body.error.code).toBe('csrf_failed');

    // A cross-site HTML form post is stopped at the origin check.
    const form = await c.request('/api/conversations', {
      method: 'POST',
      body: 'title=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(form.status).toBe(403);
  });
});

describe('ask and search', () => {
  it('needs an account to ask (anonymous mode is off)', async () => {
    const res = await client().json<ErrorJson>('/api/ask', { json: { question: KNOWN_QUESTION } });
    expect([res.status, res.body.error.code]).toEqual([401, 'sign_in_required']);
  });

  it('answers a known question with timestamped citations, and refuses an unknown one', async () => {
    const c = client();
    await c.signup('asker@example.com');
    const { status, body } = await c.json<AskJson>('/api/ask', { json: { question: KNOWN_QUESTION } });
    expect(status).toBe(200);
    expect(body.refused).toBe(false);
    expect(body.answer.toLowerCase()).toContain('piv');
    expect(body.citations.length).toBeGreaterThan(0);
    for (const cite of body.citations) {
      expect(cite.title.length).toBeGreaterThan(0);
      expect(cite.url).toBe(`https://youtu.be/${cite.videoId}?t=${Math.floor(cite.start)}`);
      expect(cite.text.length).toBeGreaterThan(0);
    }
    expect(body.timings.retrieveMs).toBeGreaterThanOrEqual(0);
    expect(body.conversationId).toBeUndefined();

    const refusal = await c.json<AskJson>('/api/ask', { json: { question: UNKNOWN_QUESTION } });
    expect(refusal.body.refused).toBe(true);
    expect(refusal.body.citations).toEqual([]);
  });

  it('streams tokens over SSE and ends with the full answer', async () => {
    const c = client();
    await c.signup('streamer@example.com');
    const res = await c.request('/api/ask', {
      json: { question: KNOWN_QUESTION },
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    const tokens = events
      .filter((e) => e.event === 'token')
      .map((e) => (JSON.parse(e.data) as { text: string }).text);
    expect(tokens.length).toBeGreaterThan(3);
    expect(events.at(-1)?.event).toBe('done');
    expect(events.filter((e) => e.event === 'done')).toHaveLength(1);
    const done = JSON.parse(events.at(-1)!.data) as AskResult;
    expect(done.citations.length).toBeGreaterThan(0);
    expect(tokens.join('').replace(/\s+/g, ' ').trim()).toBe(done.answer.replace(/\s+/g, ' ').trim());
  });

  it('searches without an account, honouring k and videoId', async () => {
    const c = client();
    const { body } = await c.json<{ results: SearchHit[] }>('/api/search', {
      json: { query: 'n8n tips for AI agents', k: 3 },
    });
    expect(body.results).toHaveLength(3);
    const videoId = body.results[0]!.videoId;
    const only = await c.json<{ results: SearchHit[] }>('/api/search', {
      json: { query: 'agents', videoId },
    });
    expect(only.body.results.length).toBeGreaterThan(0);
    expect(new Set(only.body.results.map((r) => r.videoId))).toEqual(new Set([videoId]));
    const unknown = await c.json<{ error: { code: string; message: string } }>('/api/search', {
      json: { query: 'agents', videoId: 'ZZZZZZZZZZZ' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 'not_found',
      message: 'no video ZZZZZZZZZZZ in the store',
    });
  });
});

describe('videos', () => {
  it('pages and searches the library and returns a video with its segments', async () => {
    const c = client();
    const page = await c.json<{ total: number; videos: { videoId: string; title: string }[] }>(
      '/api/videos?limit=3&offset=0',
    );
    expect(page.body.total).toBe(SLICE.length);
    expect(page.body.videos).toHaveLength(3);
    const next = await c.json<{ videos: { videoId: string }[] }>('/api/videos?limit=3&offset=3');
    expect(next.body.videos.map((v) => v.videoId)).not.toContain(page.body.videos[0]!.videoId);
    const found = await c.json<{ total: number; videos: { title: string }[] }>('/api/videos?q=n8n');
    expect(found.body.total).toBeGreaterThanOrEqual(1);
    expect(found.body.videos[0]!.title).toMatch(/n8n/i);
    const one = await c.json<{ videoId: string; segments: { start: number; text: string }[] }>(
      `/api/videos/${page.body.videos[0]!.videoId}`,
    );
    expect(one.body.segments.length).toBeGreaterThan(10);
  });
});

describe('conversations', () => {
  it('create, ask into, list, get, rename, search, export and delete', async () => {
    const c = client();
    await c.signup('owner@example.com');
    const created = await c.json<{ id: string; title: string }>('/api/conversations', { json: {} });
    expect(created.status).toBe(201);
    expect(created.body.title).toBe('New conversation');
    const id = created.body.id;

    const asked = await c.json<AskJson>('/api/ask', {
      json: { question: KNOWN_QUESTION, conversationId: id },
    });
    expect(asked.body.conversationId).toBe(id);
    expect(asked.body.messageId).toBeGreaterThan(0);

    const got = await c.json<{
      title: string;
      messages: { role: string; content: string; result: AskResult | null }[];
    }>(`/api/conversations/${id}`);
    expect(got.body.title).toBe(KNOWN_QUESTION);
    expect(got.body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(got.body.messages[1]!.result!.citations).toEqual(asked.body.citations);

    const listed = await c.json<{ conversations: { id: string; messageCount: number }[] }>(
      '/api/conversations',
    );
    expect(listed.body.conversations.find((x) => x.id === id)?.messageCount).toBe(2);

    const renamed = await c.json<{ title: string }>(`/api/conversations/${id}`, {
      method: 'PATCH',
      json: { title: 'PIV notes' },
    });
    expect(renamed.body.title).toBe('PIV notes');

    const found = await c.json<{ results: { conversationId: string; snippet: string }[] }>(
      '/api/conversations/search?q=stages%20loop',
    );
    expect(found.body.results.some((r) => r.conversationId === id && r.snippet.includes('«'))).toBe(true);
    const none = await c.json<{ results: unknown[] }>('/api/conversations/search?q=sourdough');
    expect(none.body.results).toEqual([]);

    const exported = await c.request(`/api/conversations/${id}/export?format=md`);
    expect(exported.headers.get('content-type')).toMatch(/text\/markdown/);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="piv-notes.md"');
    const md = await exported.text();
    expect(md).toContain('# PIV notes');
    expect(md).toContain(`## Q: ${KNOWN_QUESTION}`);
    expect(md).toContain(asked.body.citations[0]!.url);

    expect((await c.request(`/api/conversations/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await c.json<ErrorJson>(`/api/conversations/${id}`)).body.error.code).toBe(
      'conversation_not_found',
    );
    const gone = await rag.db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [id]);
    expect(gone.rows).toHaveLength(0);
  });

  it('keeps conversations private from every other user, the admin included', async () => {
    const admin = client();
    await admin.me();
    // An account the operator made admin (it signed up in an earlier test).
    expect(await grantAdmin(rag.db, 'long@example.com')).toBe('granted');
    await admin.json('/api/auth/login', {
      json: { email: 'long@example.com', password: 'correct horse battery' },
    });
    expect((await admin.me()).user?.isAdmin).toBe(true);

    const owner = client();
    await owner.signup('private@example.com');
    const { body: conv } = await owner.json<{ id: string }>('/api/conversations', { json: {} });
    await owner.json('/api/ask', {
      json: { question: 'What is the secret of the PIV loop?', conversationId: conv.id },
    });
    const { body: msgs } = await owner.json<{ messages: { id: number; role: string }[] }>(
      `/api/conversations/${conv.id}`,
    );
    const answerId = msgs.messages.find((m) => m.role === 'assistant')!.id;

    for (const other of [admin, client()]) {
      if (!(await other.me()).user) await other.signup('intruder@example.com');
      const attempts = [
        await other.request(`/api/conversations/${conv.id}`),
        await other.request(`/api/conversations/${conv.id}/export`),
        await other.request(`/api/conversations/${conv.id}`, {
          method: 'PATCH',
          json: { title: 'mine now' },
        }),
        await other.request(`/api/conversations/${conv.id}`, { method: 'DELETE' }),
        await other.request('/api/ask', { json: { question: 'hello', conversationId: conv.id } }),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(404);
        expect(((await res.json()) as ErrorJson).error.code).toBe('conversation_not_found');
      }
      const listed = await other.json<{ conversations: { id: string }[] }>('/api/conversations');
      expect(listed.body.conversations.map((x) => x.id)).not.toContain(conv.id);
      const searched = await other.json<{ results: unknown[] }>('/api/conversations/search?q=secret');
      expect(searched.body.results).toEqual([]);
      const report = await other.json<ErrorJson>('/api/issues', {
        json: { messageId: answerId, comment: 'peek' },
      });
      expect(report.body.error.code).toBe('message_not_found');
    }
    expect((await owner.json<{ title: string }>(`/api/conversations/${conv.id}`)).body.title).toBe(
      'What is the secret of the PIV loop?',
    );
  });
});

describe('limits', () => {
  it('caps messages per user per 24 h in the store, with a reason, across app instances', async () => {
    const c = client();
    await c.signup('capped@example.com');
    const cap = config.DAILY_MESSAGE_CAP;
    for (let i = 0; i < cap; i++) {
      const res = await c.request('/api/ask', { json: { question: `${KNOWN_QUESTION} (${i})` } });
      expect(res.status).toBe(200);
    }
    const over = await c.request('/api/ask', { json: { question: KNOWN_QUESTION } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    const body = (await over.json()) as ErrorJson;
    expect(body.error.code).toBe('daily_cap_reached');
    expect(body.error.message).toMatch(new RegExp(`${cap} of ${cap} messages in the last 24 hours`));

    // A "restarted" server over the same store still knows.
    const restarted = new ApiClient(viaApp(makeApp(rag, config, { clock: time.clock }).app));
    for (const [k, v] of c.cookies) restarted.cookies.set(k, v);
    restarted.csrf = c.csrf;
    expect((await restarted.request('/api/ask', { json: { question: KNOWN_QUESTION } })).status).toBe(429);

    time.advance(24 * 3600 * 1000 + 1000);
    expect((await c.request('/api/ask', { json: { question: KNOWN_QUESTION } })).status).toBe(200);
  });

  it('does not count a question the server failed to answer, and hides the internal reason', async () => {
    const failing: Rag = {
      ...rag,
      ask: async () => {
        throw new StoreError('disk on fire at /var/lib/secret', { table: 'chunks' });
      },
    };
    const broken = new ApiClient(viaApp(makeApp(failing, config, { clock: time.clock }).app));
    await broken.signup('refund@example.com');
    const used = async () =>
      ((await broken.me()) as unknown as { limits: { usedToday: number } }).limits.usedToday;
    expect(await used()).toBe(0);
    const res = await broken.json<ErrorJson>('/api/ask', { json: { question: KNOWN_QUESTION } });
    expect([res.status, res.body.error.code]).toEqual([503, 'store_error']);
    expect(res.body.error.message).not.toContain('disk on fire');
    expectNoStack(res.body);
    const streamed = await broken.request('/api/ask', {
      json: { question: KNOWN_QUESTION },
      headers: { accept: 'text/event-stream' },
    });
    const events = parseSse(await streamed.text());
    expect(events.map((e) => e.event)).toEqual(['error']);
    expect((JSON.parse(events[0]!.data) as ErrorJson).error.code).toBe('store_error');
    expect(await used()).toBe(0);
  });

  it('limits requests per IP per minute, in the store', async () => {
    const limited = makeApp(rag, { ...config, IP_RATE_PER_MINUTE: 3 }, { clock: time.clock });
    const a = new ApiClient(viaApp(limited.app, '198.51.100.1'));
    const b = new ApiClient(viaApp(limited.app, '198.51.100.2'));
    time.advance(60_000 - (time.clock().getTime() % 60_000));
    for (let i = 0; i < 3; i++)
      expect((await a.request('/api/search', { json: { query: 'agents' } })).status).toBe(200);
    const over = await a.request('/api/search', { json: { query: 'agents' } });
    expect(over.status).toBe(429);
    expect(((await over.json()) as ErrorJson).error.message).toMatch(/at most 3 a minute/);
    expect((await b.request('/api/search', { json: { query: 'agents' } })).status).toBe(200);
    time.advance(60_000);
    expect((await a.request('/api/search', { json: { query: 'agents' } })).status).toBe(200);
  });
});

describe('report a problem', () => {
  it('files an issue with the question, answer, citations and the user words on the local forge', async () => {
    const c = client();
    await c.signup('reporter@example.com');
    const { body: conv } = await c.json<{ id: string }>('/api/conversations', { json: {} });
    const { body: answer } = await c.json<AskJson>('/api/ask', {
      json: { question: KNOWN_QUESTION, conversationId: conv.id },
    });
    const res = await c.json<{ number: number; url: string }>('/api/issues', {
      json: { messageId: answer.messageId, comment: 'The second citation starts too late.' },
    });
    expect(res.status).toBe(201);
    const issue = await svc.forge.getIssue(res.body.number);
    expect(issue.url).toBe(res.body.url);
    expect(issue.labels).toEqual(['user-report']);
    expect(issue.title).toBe(`Problem report: ${KNOWN_QUESTION}`);
    expect(issue.body).toContain('> The second citation starts too late.');
    expect(issue.body).toContain(`> ${KNOWN_QUESTION}`);
    expect(issue.body).toContain(answer.answer.split('\n')[0]!);
    expect(issue.body).toContain(answer.citations[0]!.url);
    expect(issue.body).toContain(answer.citations[0]!.title);
    expect(issue.body).not.toContain('reporter@example.com');
    // Each reporter is an author of their own (the factory's per-author flood limit counts them apart).
    const reporter = (await c.me()).user!;
    expect(issue.author).toBe(`web:${reporter.id}`);

    const inline = await c.json<{ number: number }>('/api/issues', {
      json: { question: 'q?', answer: 'a.', refused: true, citations: [], comment: '' },
    });
    expect(inline.body.number).toBe(res.body.number + 1);
    const other = client();
    await other.signup('second-reporter@example.com');
    const second = await other.json<{ number: number }>('/api/issues', {
      json: { question: 'q2?', answer: 'a2.', comment: 'me too' },
    });
    const otherId = (await other.me()).user!.id;
    expect(otherId).not.toBe(reporter.id);
    expect((await svc.forge.getIssue(second.body.number)).author).toBe(`web:${otherId}`);
    const bad = await c.json<ErrorJson>('/api/issues', { json: { comment: 'no context' } });
    expect(bad.body.error.message).toMatch(/send messageId, or question and answer/);
  });
});

describe('admin', () => {
  it('is for admins only', async () => {
    const c = client();
    await c.signup('notadmin@example.com');
    const res = await c.json<ErrorJson>('/api/admin/status');
    expect([res.status, res.body.error.code]).toEqual([403, 'admin_only']);
    expect((await client().json<ErrorJson>('/api/admin/status')).status).toBe(401);
  });

  it('adds, re-syncs and removes videos, and reports the ingest status', async () => {
    await grantAdmin(rag.db, 'long@example.com');
    const admin = client();
    await admin.me();
    await admin.json('/api/auth/login', {
      json: { email: 'long@example.com', password: 'correct horse battery' },
    });
    const before = (await admin.json<{ stats: { videos: number } }>('/api/admin/status')).body.stats.videos;

    // Nsu9BzQv5C4 is in the slice already; m8VC2SV2igM is a corpus video outside it.
    const added = await admin.json<{ summary: { added: number; items: { status: string }[] } }>(
      '/api/admin/videos',
      {
        json: { ref: 'm8VC2SV2igM' },
      },
    );
    expect(added.status).toBe(200);
    expect(added.body.summary.added).toBe(1);
    // A video that could not be ingested is a failure, with the reason, never "done".
    const missing = await admin.json<ErrorJson>('/api/admin/videos', { json: { ref: 'zzzzzzzzzzz' } });
    expect([missing.status, missing.body.error.code]).toEqual([422, 'ingest_failed']);
    expect(missing.body.error.message).toMatch(/^ingesting zzzzzzzzzzz failed: 1 of 1 failed; .*no captions/);

    const status = await admin.json<{
      stats: { videos: number };
      sync: { lease: unknown; runs: { trigger: string; status: string }[] };
    }>('/api/admin/status');
    expect(status.body.stats.videos).toBe(before + 1);
    expect(status.body.sync.lease).toBeNull();
    expect(status.body.sync.runs.slice(0, 2).map((r) => [r.trigger, r.status])).toEqual([
      ['admin-add', 'failed'],
      ['admin-add', 'done'],
    ]);

    const corpusVideo = await admin.json<ErrorJson>('/api/admin/sync', { json: { videoId: 'Nsu9BzQv5C4' } });
    expect([corpusVideo.status, corpusVideo.body.error.code]).toEqual([409, 'cannot_resync']);

    // While another process holds the ingest lease, admin ingestion waits its turn.
    await acquireLease(rag.db, INGEST_LEASE, 'other-process', 60_000, time.clock());
    const busy = await admin.json<ErrorJson>('/api/admin/videos', { json: { ref: 'm8VC2SV2igM' } });
    expect([busy.status, busy.body.error.code]).toEqual([409, 'sync_busy']);
    time.advance(61_000);

    expect((await admin.request('/api/admin/videos/m8VC2SV2igM', { method: 'DELETE' })).status).toBe(204);
    expect((await admin.json<ErrorJson>('/api/admin/videos/m8VC2SV2igM', { method: 'DELETE' })).status).toBe(
      404,
    );
    expect((await admin.json<{ stats: { videos: number } }>('/api/admin/status')).body.stats.videos).toBe(
      before,
    );
  });
});

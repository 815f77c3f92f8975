/**
 * Anonymous mode (ALLOW_ANONYMOUS): every visitor is a guest of their own, made on their first act,
 * with private conversations and their own daily cap, and never an admin. Client addresses: the
 * socket's, unless it is a trusted proxy (TRUSTED_PROXIES). Through `app.request` on the real openRag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { Rag } from '../src/rag.ts';
import { openSliceRagOnBlank } from './support/pglite-templates.ts';
import {
  ApiClient,
  KNOWN_QUESTION,
  makeApp,
  manualClock,
  SLICE,
  tempDir,
  testConfig,
  viaApp,
} from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let rag: Rag;
const time = manualClock();

async function userCount(): Promise<number> {
  const { rows } = await rag.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return rows[0]!.n;
}

beforeAll(async () => {
  tmp = tempDir('rag-server-guests');
  config = testConfig(tmp.dir, { ALLOW_ANONYMOUS: '1', DAILY_MESSAGE_CAP: '2', IP_RATE_PER_MINUTE: '10000' });
  rag = await openSliceRagOnBlank(config, SLICE.slice(0, 3));
});

afterAll(async () => {
  await rag?.close();
  tmp?.remove();
});

describe('anonymous mode: a guest of their own per visitor', () => {
  it('gives two cookie-less visitors different guests, neither able to reach the other’s conversations', async () => {
    const { app } = makeApp(rag, config, { clock: time.clock });
    const a = new ApiClient(viaApp(app));
    const b = new ApiClient(viaApp(app));

    // Looking around makes no one: no identity, no row, nothing owned.
    const before = await userCount();
    expect((await a.me()).user).toBeNull();
    expect((await a.json<{ conversations: unknown[] }>('/api/conversations')).body.conversations).toEqual([]);
    expect((await a.json<{ results: unknown[] }>('/api/conversations/search?q=piv')).body.results).toEqual(
      [],
    );
    expect(await userCount()).toBe(before);

    // The first act makes the guest: an HttpOnly, SameSite=Lax session cookie, stored hashed.
    const created = await a.request('/api/conversations', { json: {} });
    expect(created.status).toBe(201);
    const cookie = created.headers.getSetCookie().find((l) => l.startsWith('rag_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const conv = (await created.json()) as { id: string };
    const asked = await a.json<{ conversationId: string }>('/api/ask', {
      json: { question: 'What is the secret of the PIV loop?', conversationId: conv.id },
    });
    expect([asked.status, asked.body.conversationId]).toEqual([200, conv.id]);
    const guestA = (await a.me()).user!;
    expect(guestA).toMatchObject({ anonymous: true, isAdmin: false, email: 'guest' });
    expect(await userCount()).toBe(before + 1);

    expect((await b.me()).user).toBeNull();
    const { body: convB } = await b.json<{ id: string }>('/api/conversations', { json: { title: 'mine' } });
    const guestB = (await b.me()).user!;
    expect(guestB.anonymous).toBe(true);
    expect(guestB.id).not.toBe(guestA.id);

    // b (a guest now) and c (a visitor who never acted) are strangers to a's conversation.
    const c = new ApiClient(viaApp(app));
    await c.me();
    for (const other of [b, c]) {
      const attempts = [
        await other.request(`/api/conversations/${conv.id}`),
        await other.request(`/api/conversations/${conv.id}/export?format=md`),
        await other.request(`/api/conversations/${conv.id}`, { method: 'PATCH', json: { title: 'taken' } }),
        await other.request(`/api/conversations/${conv.id}`, { method: 'DELETE' }),
        await other.request('/api/ask', { json: { question: 'hello', conversationId: conv.id } }),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(404);
        expect(((await res.json()) as ErrorJson).error.code).toBe('conversation_not_found');
      }
      const listed = await other.json<{ conversations: { id: string }[] }>('/api/conversations');
      expect(listed.body.conversations.map((x) => x.id)).not.toContain(conv.id);
      const found = await other.json<{ results: unknown[] }>('/api/conversations/search?q=secret');
      expect(found.body.results).toEqual([]);
    }
    // c was refused everything without becoming a guest.
    expect((await c.me()).user).toBeNull();
    expect(await userCount()).toBe(before + 2);

    // Each still has their own, untouched.
    const mine = await a.json<{ title: string; messages: unknown[] }>(`/api/conversations/${conv.id}`);
    expect([mine.body.title, mine.body.messages.length]).toEqual(['What is the secret of the PIV loop?', 2]);
    const listedA = await a.json<{ conversations: { id: string }[] }>('/api/conversations');
    expect(listedA.body.conversations.map((x) => x.id)).toEqual([conv.id]);
    const listedB = await b.json<{ conversations: { id: string }[] }>('/api/conversations');
    expect(listedB.body.conversations.map((x) => x.id)).toEqual([convB.id]);
  });

  it('gives each guest their own daily cap', async () => {
    const { app } = makeApp(rag, config, { clock: time.clock });
    const a = new ApiClient(viaApp(app));
    const b = new ApiClient(viaApp(app));
    // The CSRF token, as the page has it: once the guest has a session, writes need it.
    await Promise.all([a.me(), b.me()]);
    for (let i = 0; i < config.DAILY_MESSAGE_CAP; i++)
      expect((await a.request('/api/ask', { json: { question: `${KNOWN_QUESTION} (${i})` } })).status).toBe(
        200,
      );
    const over = await a.json<ErrorJson>('/api/ask', { json: { question: KNOWN_QUESTION } });
    expect([over.status, over.body.error.code]).toEqual([429, 'daily_cap_reached']);

    expect((await b.request('/api/ask', { json: { question: KNOWN_QUESTION } })).status).toBe(200);
    const used = async (c: ApiClient) =>
      ((await c.me()) as unknown as { limits: { usedToday: number } }).limits.usedToday;
    expect([await used(a), await used(b)]).toEqual([2, 1]);
  });

  it('never makes a guest admin, on a loopback bind or any other', async () => {
    for (const HOST of ['127.0.0.1', 'localhost', '::1', '0.0.0.0']) {
      const { app } = makeApp(rag, { ...config, HOST }, { clock: time.clock });
      const guest = new ApiClient(viaApp(app, '127.0.0.1'));
      await guest.me();
      const denied = await guest.json<ErrorJson>('/api/admin/status');
      expect([denied.status, denied.body.error.code]).toEqual([401, 'sign_in_required']);
      await guest.json('/api/conversations', { json: {} });
      expect((await guest.me()).user).toMatchObject({ anonymous: true, isAdmin: false });
      const still = await guest.json<ErrorJson>('/api/admin/status');
      expect([still.status, still.body.error.code]).toEqual([403, 'admin_only']);
      expect(
        (await guest.json<ErrorJson>('/api/admin/videos', { json: { ref: 'm8VC2SV2igM' } })).status,
      ).toBe(403);
    }
  });

  it('guards a guest session with the CSRF token, and drops it when the guest signs up', async () => {
    const { app } = makeApp(rag, config, { clock: time.clock });
    const g = new ApiClient(viaApp(app));
    await g.me();
    await g.json('/api/conversations', { json: {} });
    const forged = await g.json<ErrorJson>('/api/conversations', { json: {}, noCsrf: true });
    expect([forged.status, forged.body.error.code]).toEqual([403, 'csrf_failed']);

    const guestToken = g.cookies.get('rag_session')!;
    await g.signup('was-a-guest@example.com');
    expect((await g.me()).user).toMatchObject({
      email: 'was-a-guest@example.com',
      anonymous: false,
      isAdmin: false,
    });
    // The replaced guest session no longer opens anything.
    const replay = new ApiClient(viaApp(app));
    replay.cookies.set('rag_session', guestToken);
    expect((await replay.me()).user).toBeNull();
  });

  it('without ALLOW_ANONYMOUS, a visitor must sign in and no guest is made', async () => {
    const { app } = makeApp(rag, { ...config, ALLOW_ANONYMOUS: false }, { clock: time.clock });
    const v = new ApiClient(viaApp(app));
    const before = await userCount();
    for (const res of [
      await v.json<ErrorJson>('/api/ask', { json: { question: KNOWN_QUESTION } }),
      await v.json<ErrorJson>('/api/conversations', { json: {} }),
      await v.json<ErrorJson>('/api/conversations'),
    ])
      expect([res.status, res.body.error.code]).toEqual([401, 'sign_in_required']);
    expect(await userCount()).toBe(before);
  });
});

describe('client address for the per-IP limit', () => {
  const buckets = async (like: string) =>
    (
      await rag.db.query<{ bucket: string; hits: number }>(
        'SELECT bucket, hits FROM rate_windows WHERE bucket LIKE $1 ORDER BY bucket',
        [like],
      )
    ).rows;

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    time.advance(60_000 - (time.clock().getTime() % 60_000));
    const { app } = makeApp(rag, { ...config, IP_RATE_PER_MINUTE: 2 }, { clock: time.clock });
    const c = new ApiClient(viaApp(app, '198.51.100.20'));
    const search = (xff: string) =>
      c.request('/api/search', { json: { query: 'agents' }, headers: { 'x-forwarded-for': xff } });
    expect((await search('192.0.2.1')).status).toBe(200);
    expect((await search('192.0.2.2')).status).toBe(200);
    expect((await search('192.0.2.3')).status).toBe(429);
    expect(await buckets('ip:%.2.%')).toEqual([]);
    expect(await buckets('ip:198.51.100.20')).toEqual([{ bucket: 'ip:198.51.100.20', hits: 3 }]);
  });

  it('behind a trusted proxy, takes the right-most address that is not a trusted proxy', async () => {
    time.advance(60_000 - (time.clock().getTime() % 60_000));
    const trusting = testConfig(tmp.dir, {
      ALLOW_ANONYMOUS: '1',
      IP_RATE_PER_MINUTE: '2',
      TRUSTED_PROXIES: '10.0.0.0/8, ::1',
    });
    const { app } = makeApp(rag, trusting, { clock: time.clock });
    const viaProxy = new ApiClient(viaApp(app, '10.1.2.3'));
    const search = (c: ApiClient, xff: string) =>
      c.request('/api/search', { json: { query: 'agents' }, headers: { 'x-forwarded-for': xff } });

    // The client wrote "6.6.6.6" itself; 203.0.113.50 is what the outer proxy (10.9.9.9) saw.
    for (let i = 0; i < 2; i++)
      expect((await search(viaProxy, '6.6.6.6, 203.0.113.50, 10.9.9.9')).status).toBe(200);
    expect((await search(viaProxy, '192.0.2.77, 203.0.113.50')).status).toBe(429);
    // Another visitor through the same proxy has their own count.
    expect((await search(viaProxy, '203.0.113.51')).status).toBe(200);
    // Trusted over IPv6 too; a port on the hop is ignored.
    expect((await search(new ApiClient(viaApp(app, '::1')), '[2001:db8::7]:4711')).status).toBe(200);
    // A client that is not a trusted proxy cannot choose its address.
    const direct = new ApiClient(viaApp(app, '198.51.100.40'));
    expect((await search(direct, '203.0.113.99')).status).toBe(200);

    expect(await buckets('ip:203.0.113.5_')).toEqual([
      { bucket: 'ip:203.0.113.50', hits: 3 },
      { bucket: 'ip:203.0.113.51', hits: 1 },
    ]);
    expect(await buckets('ip:2001:db8::7')).toEqual([{ bucket: 'ip:2001:db8::7', hits: 1 }]);
    expect(await buckets('ip:198.51.100.40')).toEqual([{ bucket: 'ip:198.51.100.40', hits: 1 }]);
    expect(await buckets('ip:6.6.6.6')).toEqual([]);
    expect(await buckets('ip:192.0.2.77')).toEqual([]);
    expect(await buckets('ip:10.%')).toEqual([]);
  });
});

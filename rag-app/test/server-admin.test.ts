/**
 * Who is admin: only whom the operator grants (`rag admin grant`) or whoever claims the one-time
 * setup link the server printed while no admin existed. Never the first to sign up, never an email
 * typed at sign-up. Real stores (PGlite, and PostgreSQL when DATABASE_URL is set), real commander.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSetup } from '../src/accounts/admin-setup.ts';
import { registerAdminCommands } from '../src/cli/admin.ts';
import type { Config } from '../src/config.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { templateStoreTargets } from './support/pglite-templates.ts';
import { ApiClient, makeApp, manualClock, tempDir, testConfig, viaApp } from './support/server-harness.ts';

type ErrorJson = { error: { code: string; message: string } };

let tmp: ReturnType<typeof tempDir>;
let config: Config;
const time = manualClock();

beforeAll(() => {
  tmp = tempDir('rag-server-admin');
  config = testConfig(tmp.dir, { ALLOW_ANONYMOUS: '1', IP_RATE_PER_MINUTE: '10000' });
});

afterAll(() => tmp?.remove());

/** The operator's `rag admin …` on this store, in-process: the real commander program. */
async function rag_admin(rag: Rag, ...args: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = new Command('rag').exitOverride();
  registerAdminCommands(program, { withDb: (fn) => fn(rag.db), out: (line) => out.push(line) });
  await program.parseAsync(['admin', ...args], { from: 'user' });
  return out;
}

const status = async (c: ApiClient) => (await c.json<ErrorJson>('/api/admin/status')).status;

describe.each(templateStoreTargets())('admin on $name', (target) => {
  let rag: Rag;

  beforeAll(async () => {
    // An empty store: a fresh deployment, nobody signed up yet.
    rag = await openRag(config, { db: await target.open() });
  });
  afterAll(async () => rag?.close());

  it('does not make the first sign-up admin, nor an address the old ADMIN_EMAILS would have named', async () => {
    const { app } = makeApp(rag, config, { clock: time.clock });
    const first = new ApiClient(viaApp(app));
    await first.signup('first@example.com');
    expect((await first.me()).user).toMatchObject({ email: 'first@example.com', isAdmin: false });
    expect(await status(first)).toBe(403);

    // ADMIN_EMAILS is refused at start-up with the way to grant admin now...
    expect(() => testConfig(tmp.dir, { ADMIN_EMAILS: 'boss@example.com' })).toThrow(
      /^invalid environment: ADMIN_EMAILS: no longer supported .*pnpm rag admin grant <email>/,
    );
    // ...and typing such an address at sign-up grants nothing.
    const boss = new ApiClient(viaApp(app));
    await boss.signup('boss@example.com');
    expect((await boss.me()).user?.isAdmin).toBe(false);
    expect(await status(boss)).toBe(403);
  });

  it('makes admin whom the operator grants with `rag admin grant`, from the next request on', async () => {
    const { app } = makeApp(rag, config, { clock: time.clock });
    const boss = new ApiClient(viaApp(app));
    await boss.me();
    await boss.json('/api/auth/login', {
      json: { email: 'boss@example.com', password: 'correct horse battery' },
    });
    expect(await status(boss)).toBe(403);

    expect(await rag_admin(rag, 'list')).toEqual([
      'no admin yet: `rag admin grant <email>`, or open the setup link the server prints at start-up',
    ]);
    expect(await rag_admin(rag, 'grant', ' Boss@Example.com ')).toEqual(['boss@example.com is now an admin']);
    // Same session, no restart: the grant is read from the store.
    expect((await boss.me()).user?.isAdmin).toBe(true);
    expect(await status(boss)).toBe(200);
    expect((await new ApiClient(viaApp(app)).me()).user).toBeNull();

    expect(await rag_admin(rag, 'grant', 'boss@example.com')).toEqual([
      'boss@example.com was already an admin',
    ]);
    expect(await rag_admin(rag, 'list')).toEqual(['boss@example.com']);
    const json = JSON.parse((await rag_admin(rag, 'list', '--json')).join('\n')) as { email: string }[];
    expect(json.map((a) => a.email)).toEqual(['boss@example.com']);
    await expect(rag_admin(rag, 'grant', 'nobody@example.com')).rejects.toMatchObject({
      code: 'not_found',
      message: 'no account with the email nobody@example.com: sign up on the web page first, then grant it',
    });
    await expect(rag_admin(rag, 'grant', 'not an email')).rejects.toMatchObject({ code: 'usage' });

    expect(await rag_admin(rag, 'revoke', 'boss@example.com')).toEqual([
      'boss@example.com is no longer an admin',
    ]);
    expect(await status(boss)).toBe(403);
  });

  it('lets the setup link make one admin, once, and only while there is none', async () => {
    const setup = createAdminSetup();
    const { app } = makeApp(rag, config, { clock: time.clock, adminSetup: setup });
    const claim = (c: ApiClient, token: string) => c.json<ErrorJson>('/api/admin-setup', { json: { token } });

    // A visitor, and a guest, cannot claim it: it needs an account.
    const guest = new ApiClient(viaApp(app));
    await guest.me();
    expect((await claim(guest, setup.token)).status).toBe(401);
    await guest.json('/api/conversations', { json: {} });
    expect((await guest.me()).user?.anonymous).toBe(true);
    expect((await claim(guest, setup.token)).body.error.code).toBe('sign_in_required');

    // A wrong token is refused and does not spend the link.
    const first = new ApiClient(viaApp(app));
    await first.me();
    await first.json('/api/auth/login', {
      json: { email: 'first@example.com', password: 'correct horse battery' },
    });
    const wrong = await claim(first, `${setup.token.slice(0, -1)}${setup.token.endsWith('A') ? 'B' : 'A'}`);
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'bad_setup_token']);
    expect((await claim(first, 'short')).body.error.code).toBe('bad_setup_token');
    expect(setup.open()).toBe(true);

    // Several accounts racing with the right token: exactly one becomes admin.
    const racers = await Promise.all(
      ['r1', 'r2', 'r3'].map(async (name) => {
        const c = new ApiClient(viaApp(app));
        await c.signup(`${name}@example.com`);
        return c;
      }),
    );
    const results = await Promise.all([first, ...racers].map((c) => claim(c, setup.token)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410, 410]);
    expect(results.filter((r) => r.status === 410).every((r) => r.body.error.code === 'setup_closed')).toBe(
      true,
    );
    const winners = [];
    for (const c of [first, ...racers]) if ((await c.me()).user?.isAdmin) winners.push(c);
    expect(winners).toHaveLength(1);
    expect(await status(winners[0]!)).toBe(200);
    expect(setup.open()).toBe(false);
    expect(await rag_admin(rag, 'list')).toHaveLength(1);

    // A link printed by another process before an admin existed cannot make a second one.
    const stale = createAdminSetup();
    const other = makeApp(rag, config, { clock: time.clock, adminSetup: stale });
    const late = new ApiClient(viaApp(other.app));
    await late.me();
    await late.json('/api/auth/login', {
      json: { email: 'boss@example.com', password: 'correct horse battery' },
    });
    const refused = await late.json<ErrorJson>('/api/admin-setup', { json: { token: stale.token } });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'admin_exists']);
    expect((await late.me()).user?.isAdmin).toBe(false);
  });
});

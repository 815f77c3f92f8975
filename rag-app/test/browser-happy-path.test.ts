/**
 * The whole product in Chromium: playwright-core driving Debian's /usr/bin/chromium against the
 * real server (runServer) on the real openRag over a slice of the real corpus. Screenshots of each
 * step go to rag-app/test-artifacts/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalForge } from '@dark-factory/forge';
import { launchChromium, runBrowserTests } from '@dark-factory/kit/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_COVERED_TOKEN } from '../src/answer/prompt.ts';
import type { Config } from '../src/config.ts';
import { type RunningServer, runServer } from '../src/http/serve.ts';
import { openRag } from '../src/open.ts';
import type { Rag } from '../src/rag.ts';
import { type AnthropicServer, requestText, startAnthropicServer } from './support/anthropic-server.ts';
import { openSliceRagFromTemplate } from './support/pglite-templates.ts';
import {
  corpusBackedSources,
  KNOWN_QUESTION,
  SLICE,
  tempDir,
  testConfig,
  UNKNOWN_QUESTION,
} from './support/server-harness.ts';

const SHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-artifacts/screenshots');
const CAP = 3;
/**
 * Conditions are waited for, never times: vitest's default of 1 s for a poll is a time (a sign-in's
 * scrypt alone can take longer on a busy machine), so every poll here gets a generous deadline.
 */
const poll = <T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: 60_000, interval: 50, ...options });

let tmp: ReturnType<typeof tempDir>;
let config: Config;
let rag: Rag;
let server: RunningServer;
/** The same store answered by Claude (a scripted local Anthropic API with per-token delays). */
let claudeServer: RunningServer;
/** The same store with anonymous mode on: each visitor a guest of their own. */
let guestServer: RunningServer;
let anthropic: AnthropicServer;
let browser: Browser;
let alice: BrowserContext;
let page: Page;
let aliceConversation = '';
/** The phone width user, whose account page is checked after the phone's chat. */
let phone: BrowserContext;
let phonePage: Page;
/** What `server` printed: the listening line and, with no admin yet, the one-time setup link. */
const serverLines: string[] = [];

const ALICE = { email: 'alice@example.com', password: 'a long enough password' };
const BOB = { email: 'bob@example.com', password: 'another long password' };
const PHONE = { email: 'phone@example.com', password: 'phone password 1' };

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signUp(p: Page, base: string, who: { email: string; password: string }): Promise<void> {
  await p.goto(`${base}/login`);
  const form = p.locator('#signup');
  await form.getByLabel('Email').fill(who.email);
  await form.getByLabel('Password').fill(who.password);
  await form.getByRole('button', { name: 'Create account' }).click();
  await p.waitForURL(`${base}/`);
  await p.locator('body[data-ready="true"]').waitFor();
}

/** Signs in through the API, as a second device would (the page's CSRF token from /api/me). */
async function signInElsewhere(context: BrowserContext, base: string, who: typeof PHONE): Promise<void> {
  const { csrfToken } = (await (await context.request.get(`${base}/api/me`)).json()) as { csrfToken: string };
  const res = await context.request.post(`${base}/api/auth/login`, {
    data: who,
    headers: { 'X-CSRF-Token': csrfToken },
  });
  expect(res.status()).toBe(200);
}

/** POST /api/conversations as the page would; in anonymous mode it makes the visitor a guest. */
async function createConversation(context: BrowserContext, base: string): Promise<string> {
  const { csrfToken } = (await (await context.request.get(`${base}/api/me`)).json()) as { csrfToken: string };
  const res = await context.request.post(`${base}/api/conversations`, {
    data: {},
    headers: { 'X-CSRF-Token': csrfToken },
  });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function signedInAs(context: BrowserContext, base: string): Promise<string | null> {
  const me = (await (await context.request.get(`${base}/api/me`)).json()) as {
    user: { email: string } | null;
  };
  return me.user?.email ?? null;
}

async function ask(p: Page, question: string): Promise<void> {
  await p.getByLabel('Your question').fill(question);
  await p.getByLabel('Your question').press('Enter');
}

// CI installs Debian's chromium (scripts/setup.sh --ci): there a missing browser fails the run.
describe.skipIf(!runBrowserTests)('web chat in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tmp = tempDir('rag-browser');
    config = testConfig(tmp.dir, {
      PORT: '0',
      HOST: '127.0.0.1',
      DAILY_MESSAGE_CAP: String(CAP),
      IP_RATE_PER_MINUTE: '10000',
    });
    // Chromium starts, and opens the first page, in its own processes while the store is made.
    const chromium = async () => {
      browser = await launchChromium();
      alice = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await alice.newPage();
      // The machine is offline: keep the YouTube iframe from trying the network; its src is what we check.
      await alice.route('https://www.youtube-nocookie.com/**', (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: '<p>player</p>' }),
      );
    };
    const store = async () => {
      // The slice is ingested once per vitest run and copied (pglite-templates.ts).
      rag = await openSliceRagFromTemplate(config);
    };
    // Both settle before either's failure is thrown, so afterAll closes whatever did start.
    for (const r of await Promise.allSettled([store(), chromium()]))
      if (r.status === 'rejected') throw r.reason;
    const sources = corpusBackedSources();
    server = await runServer(config, rag, { sources, print: (line) => serverLines.push(line) });

    anthropic = await startAnthropicServer((request) =>
      requestText(request.body).includes('Mongolia')
        ? { text: NOT_COVERED_TOKEN }
        : {
            text: 'The PIV loop has three stages: plan, implement and validate [1]. After each loop you review the result before planning the next one [2].',
            delayMs: 60,
          },
    );
    const claudeRag = await openRag(
      { ...config, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: anthropic.url },
      { db: rag.db },
    );
    claudeServer = await runServer(config, claudeRag, { sources, print: () => undefined });
    guestServer = await runServer({ ...config, ALLOW_ANONYMOUS: true }, rag, {
      sources,
      print: () => undefined,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await guestServer?.close();
    await claudeServer?.close();
    await server?.close();
    await anthropic?.close();
    await rag?.close();
    tmp?.remove();
  });

  it('signs up, signs out and signs in', async () => {
    await page.goto(`${server.url}/login`);
    await page.locator('#signup').getByLabel('Email').fill(ALICE.email);
    await page.locator('#signup').getByLabel('Password').fill(ALICE.password);
    await shot(page, '01-sign-up');
    await page.locator('#signup').getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/`);
    await poll(() => page.locator('#signed-in-as').textContent()).toBe(ALICE.email);
    await shot(page, '02-signed-up');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/login`);
    const signin = page.locator('#signin');
    await signin.getByLabel('Email').fill(ALICE.email);
    await signin.getByLabel('Password').fill('not the password');
    await signin.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#signin-error').textContent()).toBe('wrong email or password');
    await signin.getByLabel('Password').fill(ALICE.password);
    await signin.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    await poll(() => page.locator('#signed-in-as').textContent()).toBe(ALICE.email);
    // Being the first to sign up makes no one an admin.
    expect(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(),
    ).toBe(0);
    await shot(page, '03-signed-in');
  });

  it('starts a new conversation and asks a known question: a cited answer', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await poll(() => page.locator('#conv-title').textContent()).toBe('New conversation');
    await shot(page, '04-new-conversation');

    const answered = page.waitForResponse((r) => r.url().endsWith('/api/ask'));
    await ask(page, KNOWN_QUESTION);
    expect((await answered).headers()['content-type']).toMatch(/text\/event-stream/);
    await page.locator('.message.assistant .citation').first().waitFor();
    const answer = page.locator('.message.assistant').last();
    expect(await answer.locator('.refusal-notice').count()).toBe(0);
    expect((await answer.locator('.answer-text').textContent())?.toLowerCase()).toContain('piv');
    const citations = answer.locator('.citation');
    expect(await citations.count()).toBeGreaterThan(0);
    for (let i = 0; i < (await citations.count()); i++) {
      const c = citations.nth(i);
      expect((await c.locator('.cite-title').textContent())?.length).toBeGreaterThan(10);
      expect(await c.locator('.cite-time').textContent()).toMatch(/^\d+:\d{2}(:\d{2})?$/);
      expect((await c.locator('.cite-snippet').textContent())?.length).toBeGreaterThan(10);
    }
    // The conversation took the question as its title and is in the sidebar.
    await poll(() => page.locator('#conv-title').textContent()).toBe(KNOWN_QUESTION);
    aliceConversation = new URL(page.url()).searchParams.get('c') ?? '';
    expect(aliceConversation).toMatch(/^[0-9a-f-]{36}$/);
    await poll(() => page.locator(`#conv-list li[data-id="${aliceConversation}"]`).count()).toBe(1);
    await shot(page, '05-answer-with-citations');
  });

  it('opens the player at the cited second in an accessible modal', async () => {
    const first = page.locator('.message.assistant .citation').first();
    const second = Number(await first.getAttribute('data-second'));
    const videoId = await first.getAttribute('data-video-id');
    const shown = await first.locator('.cite-time').textContent();
    await first.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const src = await dialog.locator('iframe').getAttribute('src');
    const embed = new URL(src!);
    expect(embed.origin + embed.pathname).toBe(`https://www.youtube-nocookie.com/embed/${videoId}`);
    expect(Number(embed.searchParams.get('start'))).toBe(second);
    const link = await dialog.getByRole('link', { name: /Open on YouTube/ }).getAttribute('href');
    expect(link).toBe(`https://youtu.be/${videoId}?t=${second}`);
    expect(await dialog.locator('.modal-time').textContent()).toBe(`At ${shown}`);
    expect((await dialog.locator('blockquote').textContent())?.length).toBeGreaterThan(10);
    await shot(page, '06-player-modal');

    // Focus starts inside, Tab never leaves, Escape closes and gives focus back to the citation.
    // Focus moving in and out of the (cross-origin, out-of-process) player frame settles
    // asynchronously: each step waits until it has settled inside the dialog, however long that takes.
    const focusInDialog = () =>
      page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')));
    await poll(() => page.evaluate(() => document.activeElement?.className)).toBe('modal-close');
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      await poll(focusInDialog).toBe(true);
    }
    // Escape from our own document (keys pressed inside the player frame never reach the page).
    await dialog.locator('.modal-close').focus();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await poll(() => page.evaluate(() => document.activeElement?.classList.contains('citation'))).toBe(true);
  });

  it('reports a problem and shows the filed issue, which the local forge holds', async () => {
    const answer = page.locator('.message.assistant').last();
    await answer.getByRole('button', { name: 'Report a problem' }).click();
    await answer.getByLabel('What went wrong?').fill('The answer does not name the three stages clearly.');
    await answer.getByRole('button', { name: 'Send report' }).click();
    // The local forge's issue has no web address: the page names the command that shows it.
    const command = answer.locator('.report-done code.issue-command');
    await command.waitFor();
    const number = Number((await command.textContent())?.match(/^pnpm factory issues show (\d+)$/)?.[1]);
    expect(number).toBeGreaterThan(0);
    expect(await answer.locator('.report-done').textContent()).toBe(
      `Thank you. Filed as issue #${number} in the local forge; see it with pnpm factory issues show ${number}.`,
    );
    expect(await answer.locator('.report-done a').count()).toBe(0);
    await shot(page, '07-problem-reported');

    const issue = await new LocalForge({ dir: config.forgeDir }).getIssue(number);
    expect(issue.url).toBe(`forge://local/issues/${number}`);
    expect(issue.body).toContain('> The answer does not name the three stages clearly.');
    expect(issue.body).toContain(`> ${KNOWN_QUESTION}`);
    expect(issue.body).toMatch(/https:\/\/youtu\.be\/[\w-]+\?t=\d+/);
  });

  it('shows the answer streaming in as the model writes it', async () => {
    // Same store and account, answered by the streaming model.
    await page.goto(`${claudeServer.url}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await ask(page, KNOWN_QUESTION);
    const streaming = page.locator('.answer[aria-busy="true"] .streaming');
    await poll(async () => ((await streaming.count()) ? (await streaming.textContent())?.length : 0), {
      timeout: 60_000,
    }).toBeGreaterThan(10);
    // Read together, in one look at the page: the answer may finish any moment now.
    const { partial, busyDisabled } = await page.evaluate(() => {
      const text = document.querySelector('.answer[aria-busy="true"] .streaming')?.textContent ?? '';
      const button = Array.from(document.querySelectorAll('button')).find(
        (b) => b.textContent === 'Answering…',
      );
      return { partial: text, busyDisabled: text === '' || button?.disabled === true };
    });
    expect(busyDisabled).toBe(true);
    await shot(page, '08-answer-streaming');
    await page.locator('.message.assistant .citation').first().waitFor();
    const final = (await page.locator('.message.assistant .answer-text').last().textContent()) ?? '';
    expect(final).toContain('plan, implement and validate');
    expect(final.length).toBeGreaterThan(partial.length);
    await poll(() => page.locator('.message.assistant .citation').count()).toBe(2);
    await shot(page, '09-answer-streamed');
  });

  it('shows a refusal as a refusal', async () => {
    await page.goto(`${server.url}/?c=${aliceConversation}`);
    await page.locator('.message.assistant').first().waitFor();
    await ask(page, UNKNOWN_QUESTION);
    const notice = page.locator('.message.assistant .refusal-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toBe('The videos don’t cover this.');
    expect(await page.locator('.message.assistant').last().locator('.citation').count()).toBe(0);
    await shot(page, '10-refusal');
  });

  it('renames, searches and exports conversations from the sidebar', async () => {
    const item = page.locator(`#conv-list li[data-id="${aliceConversation}"]`);
    await item.getByRole('button', { name: /^Rename/ }).click();
    await page.getByLabel('New title').fill('PIV loop notes');
    await page.getByRole('button', { name: 'Save' }).click();
    await poll(() =>
      page.locator(`#conv-list li[data-id="${aliceConversation}"] .conv-open`).textContent(),
    ).toBe('PIV loop notes');
    await poll(() => page.locator('#conv-title').textContent()).toBe('PIV loop notes');

    await page.getByLabel('Search your conversations').fill('Mongolia');
    await page.getByLabel('Search your conversations').press('Enter');
    const result = page.locator('#conv-search-results a').first();
    await result.waitFor();
    expect(await result.textContent()).toContain('PIV loop notes');
    await shot(page, '11-sidebar-search');

    const href = await page
      .locator(`#conv-list li[data-id="${aliceConversation}"]`)
      .getByRole('link', { name: /^Export/ })
      .getAttribute('href');
    const md = await (await page.request.get(`${server.url}${href}`)).text();
    expect(md).toContain('# PIV loop notes');
    expect(md).toContain(`## Q: ${KNOWN_QUESTION}`);
    expect(md).toContain('*The videos do not cover this.*');
  });

  it('keeps the conversation from a second user, who also hits the daily cap with a reason', async () => {
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const bob = await bobContext.newPage();
    await signUp(bob, server.url, BOB);
    expect(
      await bob.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(),
    ).toBe(0);

    await bob.goto(`${server.url}/?c=${aliceConversation}`);
    const denied = bob.locator('.message.error');
    await denied.waitFor();
    expect(await denied.textContent()).toBe('Could not open the conversation: no such conversation');
    await poll(() => bob.locator('#conv-list .conv').count()).toBe(0);
    expect(await bob.locator('body').textContent()).not.toContain('PIV loop notes');
    expect((await bob.request.get(`${server.url}/api/conversations/${aliceConversation}`)).status()).toBe(
      404,
    );
    await shot(bob, '12-second-user-denied');

    await bob.getByRole('button', { name: 'New conversation' }).click();
    for (let i = 0; i < CAP; i++) {
      await ask(bob, `What is the PIV loop? (${i + 1})`);
      await poll(() => bob.locator('.message.assistant:not(:has(.answer[aria-busy="true"]))').count()).toBe(
        i + 1,
      );
    }
    const capped = bob.waitForResponse((r) => r.url().endsWith('/api/ask'));
    await ask(bob, 'One more question about the PIV loop');
    const res = await capped;
    expect(res.status()).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('daily_cap_reached');
    const alert = bob.locator('.message.assistant .answer.error [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /^Limit reached: daily message cap reached: you have sent 3 of 3 messages/,
    );
    // The unsent question stays in the box.
    expect(await bob.getByLabel('Your question').inputValue()).toBe('One more question about the PIV loop');
    await shot(bob, '13-daily-cap');

    // Deleting a conversation from the sidebar.
    bob.once('dialog', (d) => d.accept());
    const bobConv = new URL(bob.url()).searchParams.get('c');
    await bob
      .locator(`#conv-list li[data-id="${bobConv}"]`)
      .getByRole('button', { name: /^Delete/ })
      .click();
    await poll(() => bob.locator(`#conv-list li[data-id="${bobConv}"]`).count()).toBe(0);
    await bobContext.close();
  });

  it('browses the library and plays a transcript moment', async () => {
    await page.goto(`${server.url}/library`);
    await page.getByLabel('Search videos').fill('n8n');
    await page.getByLabel('Search videos').press('Enter');
    await poll(() => page.locator('#video-list .video-open').count()).toBe(1);
    await page.locator('#video-list .video-open').first().click();
    const segment = page.locator('#video-detail .segment-time').nth(3);
    await segment.waitFor();
    const label = await segment.textContent();
    await segment.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const start = Number(
      new URL((await dialog.locator('iframe').getAttribute('src'))!).searchParams.get('start'),
    );
    const [m, s] = label!.split(':').map(Number);
    expect(start).toBe(m! * 60 + s!);
    await shot(page, '14-library-player');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByLabel('Search videos').fill('');
    await page.getByLabel('Search videos').press('Enter');
    await poll(() => page.locator('#library-title ~ p[role="status"]').textContent()).toBe(
      `Videos 1–${SLICE.length} of ${SLICE.length}`,
    );
  });

  it('makes admin whoever claims the one-time setup link the server printed, once', async () => {
    const link = /open (\S+) to claim it/.exec(
      serverLines.find((l) => l.includes('no admin yet')) ?? '',
    )?.[1];
    expect(link).toMatch(/\/admin\/setup\?token=[\w-]{43}$/);
    await page.goto(`${server.url}/admin`);
    await poll(() => page.locator('main').textContent()).toContain('Only an admin can see this page.');

    await page.goto(link!);
    const claim = page.getByRole('button', { name: `Make ${ALICE.email} the admin` });
    await shot(page, '15-admin-setup');
    await claim.click();
    await page.waitForURL(`${server.url}/admin`);
    await poll(() => page.locator('#admin-stats dd').first().textContent()).toBe(String(SLICE.length));
    expect(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(),
    ).toBe(1);

    // Someone else with the same link: signs up through it, comes back, and finds it spent.
    const carolContext = await browser.newContext();
    const carol = await carolContext.newPage();
    await carol.goto(link!);
    await carol.getByRole('link', { name: 'Sign in or create an account' }).click();
    await carol.waitForURL(/\/login\?next=/);
    const form = carol.locator('#signup');
    await form.getByLabel('Email').fill('carol@example.com');
    await form.getByLabel('Password').fill('carol long password');
    await form.getByRole('button', { name: 'Create account' }).click();
    await carol.waitForURL(link!);
    await carol.getByRole('button', { name: 'Make carol@example.com the admin' }).click();
    await poll(() => carol.locator('#setup-status').textContent()).toMatch(
      /^no admin setup is open: the link was used/,
    );
    await carolContext.close();
  });

  it('lets the admin add a video and see the ingest runs', async () => {
    await page.goto(`${server.url}/admin`);
    await poll(() => page.locator('#admin-stats dd').first().textContent()).toBe(String(SLICE.length));
    await page.getByLabel('Add a video (YouTube id or url)').fill('https://youtu.be/m8VC2SV2igM');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await poll(() => page.locator('#admin-status').textContent(), { timeout: 120_000 }).toMatch(/^1 added/);
    await poll(() => page.locator('#admin-stats dd').first().textContent()).toBe(String(SLICE.length + 1));
    expect(await page.locator('#sync-runs tr').first().textContent()).toContain('admin-add');
    await shot(page, '16-admin');
  });

  it('lets a guest delete their data from the account page, after confirming', async () => {
    const guest = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const g = await guest.newPage();
    const base = guestServer.url;
    // Acting makes a guest (the chat's own asking is checked above): a conversation of their own.
    const conversation = await createConversation(guest, base);
    const stored = async () =>
      (await rag.db.query('SELECT id FROM conversations WHERE id = $1', [conversation])).rows.length;
    expect(await stored()).toBe(1);

    await g.goto(`${base}/account`);
    await poll(() => g.locator('#account-link').getAttribute('aria-current')).toBe('page');
    await g.getByRole('button', { name: 'Delete my data' }).click();
    // Nothing goes before the confirmation, and the safe choice has the focus.
    await poll(() => g.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    expect(await g.locator('#delete-data-warning').textContent()).toBe(
      'Delete your conversations and your guest identity? This cannot be undone.',
    );
    expect(await stored()).toBe(1);
    await shot(g, '19-guest-delete-confirm');
    await g.getByRole('button', { name: 'Yes, delete everything' }).click();
    await poll(() => g.locator('#account-status').textContent()).toBe(
      'Deleted: your conversations and your guest identity are gone.',
    );
    expect(await stored()).toBe(0);
    expect(await signedInAs(guest, base)).toBeNull();
    // The header follows: no one to show settings for any more.
    expect(await g.locator('#account-link').count()).toBe(0);
    await guest.close();
  });

  it('works at phone width', async () => {
    phone = await browser.newContext({
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    phonePage = p;
    await signUp(p, server.url, PHONE);
    await poll(() => p.locator('#sidebar').isVisible()).toBe(false);
    await p.getByRole('button', { name: 'Conversations' }).click();
    await poll(() => p.locator('#sidebar').isVisible()).toBe(true);
    await poll(() => p.getByRole('button', { name: 'Conversations' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    await p.getByRole('button', { name: 'Conversations' }).click();
    await ask(p, KNOWN_QUESTION);
    await p.locator('.message.assistant .citation').first().waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(p, '17-phone-chat');
    await p.locator('.message.assistant .citation').first().click();
    await p.getByRole('dialog').waitFor();
    const box = await p.locator('.modal').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(375);
    await shot(p, '18-phone-player');
    await p.keyboard.press('Escape');
  });

  it('changes the password with clear errors, deletes the conversations and signs out everywhere', async () => {
    const p = phonePage;
    const base = server.url;
    const NEW = 'a brand new passphrase';
    await p.getByRole('link', { name: 'Account', exact: true }).click();
    await p.waitForURL(`${base}/account`);
    const form = p.locator('#password-form');
    const error = p.locator('#password-error');
    const submit = form.getByRole('button', { name: 'Change password' });
    // Caught on the page: the repetition differs.
    await form.getByLabel('Current password').fill(PHONE.password);
    await form.getByLabel('New password', { exact: true }).fill(NEW);
    await form.getByLabel('New password again').fill(`${NEW}!`);
    await submit.click();
    await poll(() => error.textContent()).toBe(
      'The new password and its repetition differ: type the same password twice.',
    );
    expect(await p.locator('#repeat-password').getAttribute('aria-invalid')).toBe('true');
    // Refused by the server: the current password is wrong; that field is marked and focused.
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password again').fill(NEW);
    await submit.click();
    await poll(() => error.textContent()).toBe('The current password is wrong.');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('current-password');
    expect(await p.locator('#current-password').getAttribute('aria-invalid')).toBe('true');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(p, '20-phone-password-error');

    await form.getByLabel('Current password').fill(PHONE.password);
    await submit.click();
    await poll(() => p.locator('#password-status').textContent()).toBe(
      'Password changed. Every other device is signed out; this one stays signed in.',
    );
    expect(await error.textContent()).toBe('');
    expect(await signedInAs(phone, base)).toBe(PHONE.email);

    // Deleting the account's conversations asks first, then empties the list.
    await p.getByRole('button', { name: 'Delete all my conversations' }).click();
    await p.getByRole('button', { name: 'Yes, delete them all' }).click();
    await poll(() => p.locator('#delete-conversations-status').textContent()).toBe('Deleted 1 conversation.');
    const list = await (await phone.request.get(`${base}/api/conversations`)).json();
    expect(list).toEqual({ conversations: [] });

    // The new password works on a second device; signing out everywhere ends that session and this one.
    const other = await browser.newContext();
    await signInElsewhere(other, base, { ...PHONE, password: NEW });
    await p.getByRole('button', { name: 'Sign out everywhere' }).click();
    await poll(() => p.locator('#account-status').textContent()).toBe(
      'Signed out everywhere: 2 sessions ended.',
    );
    expect(await signedInAs(other, base)).toBeNull();
    expect(await signedInAs(phone, base)).toBeNull();
    expect(await p.locator('#signed-in-as').count()).toBe(0);
    expect(await p.getByRole('link', { name: 'Sign in again' }).count()).toBe(1);
    await other.close();
    await phone.close();
  });
});

/**
 * Test harness for the HTTP service: the real `openRag` over an in-memory PGlite holding a slice of
 * the shared corpus, a LocalForge in a temp dir, and a cookie-keeping API client that works both
 * through `app.request` and over a real port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalForge } from '@dark-factory/forge';
import type { Hono } from 'hono';
import type { AdminSetup } from '../../src/accounts/admin-setup.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import type { AppEnv, Clock, SourceFactory } from '../../src/http/context.ts';
import { corpusSource, parseVideoRef } from '../../src/ingest/sources.ts';
import { openRag } from '../../src/open.ts';
import type { Rag } from '../../src/rag.ts';
import { openPglite } from '../../src/store/db.ts';
import type { SourceItem } from '../../src/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
export const CORPUS_DIR = path.join(SHARED_DIR, 'corpus/cole-medin');

/** Ten videos: nine that discuss the PIV loop (the known question) and one on n8n, for contrast. */
export const SLICE = [
  'full-guide-to-becoming-a-principled-agentic-engineer-build-anything-with-ai',
  'my-complete-agentic-coding-workflow-to-build-anything-no-fluff-or-overengineering',
  'ai-fixes-my-code-better-than-me-now-heres-how',
  'finally-an-open-standard-for-the-karpathy-llm-wiki-is-here',
  'is-software-engineering-finally-dead',
  'pi-coding-agent-archon-build-any-ai-coding-workflow-no-claude-code-bloat',
  'stripes-coding-agents-ship-1300-prs-every-week-heres-how-they-do-it',
  'the-best-ai-coding-setup-isnt-the-most-autonomous-one-heres-why',
  'this-one-command-makes-coding-agents-find-all-their-mistakes-use-it-now',
  '10-n8n-tips-in-10-minutes-to-10x-your-ai-automations',
];

export const KNOWN_QUESTION = 'What are the three stages of the PIV loop?';
export const UNKNOWN_QUESTION = 'What is the capital of Mongolia?';

function slugOf(ref: string): string {
  return path.basename(ref).replace(/\.md$/, '');
}

/** The shared corpus, cut down to `slugs`: the real source, filtered. */
export async function* corpusSlice(dir = CORPUS_DIR, slugs: string[] = SLICE): AsyncGenerator<SourceItem> {
  const wanted = new Set(slugs);
  for await (const item of corpusSource(dir)) if (wanted.has(slugOf(item.ref))) yield item;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    { DATA_DIR: dataDir, FORGE_DIR: path.join(dataDir, 'forge'), LOG_LEVEL: 'warn', ...env },
    dataDir,
  );
}

/** The real Rag on a fresh in-memory store with the corpus slice ingested. */
export async function openSliceRag(config: Config, slugs: string[] = SLICE): Promise<Rag> {
  const rag = await openRag(config, { db: await openPglite() });
  const summary = await rag.ingest(corpusSlice(CORPUS_DIR, slugs));
  if (summary.added !== slugs.length) {
    throw new Error(
      `expected ${slugs.length} videos from the corpus slice, got ${summary.added} (${SHARED_DIR})`,
    );
  }
  return rag;
}

/**
 * Sources for admin ingestion that work offline: "YouTube" refs are looked up in the shared corpus
 * by video id (the real corpus source, filtered), directories are read as they are.
 */
export function corpusBackedSources(dir = CORPUS_DIR): SourceFactory {
  return {
    async *youtube(refs) {
      // Refs are parsed as the real YouTube source parses them (ids, youtu.be and watch urls).
      const byId = new Map<string, string>();
      for (const ref of refs) {
        try {
          byId.set(parseVideoRef(ref), ref);
        } catch (err) {
          yield { ref, ok: false, error: (err as Error).message };
        }
      }
      const found = new Set<string>();
      for await (const item of corpusSource(dir)) {
        const ref = item.ok ? byId.get(item.transcript.videoId) : undefined;
        if (item.ok && ref !== undefined) {
          found.add(item.transcript.videoId);
          yield { ...item, ref };
        }
      }
      for (const [id, ref] of byId)
        if (!found.has(id)) yield { ref, ok: false, error: `no captions for ${id}` };
    },
    corpus: (d) => corpusSource(d),
  };
}

export interface TestService {
  app: Hono<AppEnv>;
  forge: LocalForge;
  config: Config;
}

export function makeApp(
  rag: Rag,
  config: Config,
  options: { clock?: Clock; sources?: SourceFactory; adminSetup?: AdminSetup } = {},
): TestService {
  const forge = new LocalForge({ dir: config.forgeDir });
  const app = createApp({
    rag,
    db: rag.db,
    forge,
    config,
    sources: options.sources ?? corpusBackedSources(),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.adminSetup ? { adminSetup: options.adminSetup } : {}),
  });
  return { app, forge, config };
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2026-08-01T12:00:00Z')) {
  let now = start.getTime();
  const clock: Clock = () => new Date(now);
  return { clock, advance: (ms: number) => (now += ms) };
}

export type Fetcher = (path: string, init: RequestInit) => Promise<Response>;

export const viaApp =
  (app: Hono<AppEnv>, ip = '203.0.113.7'): Fetcher =>
  async (p, init) =>
    // Hono's node bindings carry the socket; give app.request one so the per-IP limit has an address.
    app.request(p, init, { incoming: { socket: { remoteAddress: ip } } } as never);

export const viaUrl =
  (base: string): Fetcher =>
  (p, init) =>
    fetch(new URL(p, base), init);

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  /** Leave the CSRF header off (to test the guard). */
  noCsrf?: boolean;
}

/** A browser-like client: keeps cookies, sends the CSRF token on state-changing requests. */
export class ApiClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly fetcher: Fetcher) {}

  async request(p: string, options: RequestOptions = {}): Promise<Response> {
    const method = options.method ?? (options.json !== undefined ? 'POST' : 'GET');
    const headers = new Headers(options.headers);
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    if (options.json !== undefined) headers.set('content-type', 'application/json');
    if (method !== 'GET' && this.csrf && !options.noCsrf) headers.set('x-csrf-token', this.csrf);
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
    const res = await this.fetcher(p, { method, headers, ...(body !== undefined ? { body } : {}) });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, value] = [
        pair!.slice(0, pair!.indexOf('=')).trim(),
        pair!.slice(pair!.indexOf('=') + 1).trim(),
      ];
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async json<T = Record<string, unknown>>(
    p: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.request(p, options);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** GET /api/me: sets the CSRF cookie and token. */
  async me(): Promise<
    Record<string, unknown> & {
      user: { id: number; email: string; isAdmin: boolean; anonymous: boolean } | null;
    }
  > {
    const { body } = await this.json<Record<string, unknown> & { csrfToken: string; user: never }>('/api/me');
    this.csrf = body.csrfToken;
    return body;
  }

  async signup(email: string, password = 'correct horse battery'): Promise<number> {
    if (!this.csrf) await this.me();
    const res = await this.json('/api/auth/signup', { json: { email, password } });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.status;
  }
}

/** Parses an SSE body into its events. */
export function parseSse(text: string): { event: string; data: string }[] {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}

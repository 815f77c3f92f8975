import { describeZodIssues } from '@dark-factory/kit';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import pino, { type Logger } from 'pino';
import type { z } from 'zod';
import { isFactoryError } from '../errors.ts';
import type { RunReader } from '../runs/types.ts';
import { loadAssets } from './assets.ts';
import { createWatchData, type WatchData } from './data.ts';
import type { Budgets } from './figures.ts';
import { errorPage, type Html, page } from './pages/layout.ts';
import { mergesBody } from './pages/merges.ts';
import { runBody, timelineBody } from './pages/run.ts';
import { queryString, runsBody, runsTable } from './pages/runs.ts';
import { scoreboardBody } from './pages/scoreboard.ts';
import { NoQuerySchema, QUERY_ISSUES, RunParamSchema, RunsQuerySchema, SpendQuerySchema } from './queries.ts';
import { createRedactor } from './redaction.ts';
import type { RunRow, RunTimeline } from './timeline.ts';

/**
 * The public "watch the factory" app: read-only pages over the run store, a JSON endpoint behind
 * each, and server-sent events while runs are live. GET (and HEAD) only; every query is validated
 * (unknown parameters are refused); everything sent passes the redactor (secrets, holdout text).
 *
 *   /                 runs            /api/runs?status=&issue=&limit=   /api/runs/live (SSE)
 *   /runs/:id         one run         /api/runs/:id                     /api/runs/:id/live (SSE)
 *   /merges           merges, spend   /api/merges   /api/spend?days=
 *   /scoreboard       the scoreboard  /api/scoreboard
 */

export interface WatchOptions {
  reader: RunReader;
  /** The policy's budgets (mission.md on the base branch); omitted: spend is shown without a budget. */
  budgets?: () => Promise<Budgets>;
  issueOpenedAt?: (issue: number) => Promise<Date | null>;
  /** Secret values of this process (redact.ts secretValues): replaced in everything sent. */
  secrets?: readonly string[];
  /** Strings of the sealed holdout's datasets (redaction.ts holdoutStrings): never sent. */
  holdout?: readonly string[];
  now?: () => Date;
  logger?: Logger;
  /** How often a live stream looks at the store; default 1000 ms. */
  pollMs?: number;
  /** Live streams open at once (a public page must not be made to poll without end); default 200. */
  maxStreams?: number;
  /** A stream ends after this long and the browser reconnects (EventSource does); default 10 min. */
  streamMaxMs?: number;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const PING_MS = 15_000;

/** Parses the query with a strict schema: a repeated parameter is refused, an empty one is absent. */
function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) throw new HTTPException(400, { message: `query parameter ${key} given twice` });
    const value = values[0] ?? '';
    if (value !== '') raw[key] = value;
  }
  const res = schema.safeParse(raw);
  if (!res.success) throw new HTTPException(400, { message: describeZodIssues(res.error, QUERY_ISSUES) });
  return res.data;
}

function runId(c: Context): string {
  const res = RunParamSchema.safeParse({ id: c.req.param('id') });
  if (!res.success) {
    throw new HTTPException(400, { message: `not a run id: ${(c.req.param('id') ?? '').slice(0, 64)}` });
  }
  return res.data.id;
}

const wantsJson = (c: Context) => c.req.path.startsWith('/api/');

/** A snapshot shared by every stream watching the same thing, taken at most once per period. */
function shared<T>(periodMs: number, take: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= periodMs) {
      const value = take();
      last = { at: now, value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

export function createWatchApp(options: WatchOptions): Hono {
  const logger = options.logger ?? pino({ level: 'silent' });
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollMs ?? 1000;
  const maxStreams = options.maxStreams ?? 200;
  const streamMaxMs = options.streamMaxMs ?? 10 * 60_000;
  const redact = createRedactor({ secrets: options.secrets ?? [], holdout: options.holdout ?? [] });
  const data: WatchData = createWatchData({
    reader: options.reader,
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.issueOpenedAt ? { issueOpenedAt: options.issueOpenedAt } : {}),
    now,
    logger,
  });
  let streams = 0;

  const app = new Hono();

  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new HTTPException(405, { message: 'read-only: GET only' });
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-cache');
  });

  const renderPage = async (c: Context, o: Omit<Parameters<typeof page>[0], 'assets'>) => {
    const { version } = await loadAssets();
    return c.html(page({ ...o, assets: version }));
  };
  const fragment = (c: Context, body: Html) => c.html(body);

  // ── assets ──
  app.get('/assets/:name', async (c) => {
    const asset = (await loadAssets()).files.get(c.req.param('name'));
    if (!asset) throw new HTTPException(404, { message: 'no such asset' });
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('content-type', asset.type);
    c.header('etag', asset.etag);
    c.header('cache-control', 'public, max-age=300');
    return c.body(asset.body);
  });

  // ── live (server-sent events); registered before /api/runs/:id, which would take `live` for an id ──
  /**
   * Sends `update` (the snapshot as JSON) whenever its key changes, `ping` now and then so proxies
   * keep the connection, and `end` when there is nothing more to follow.
   */
  const live = (c: Context, snapshot: () => Promise<{ key: string; data: unknown; ended: boolean }>) => {
    if (streams >= maxStreams) {
      throw new HTTPException(503, { message: 'too many live viewers right now; reload in a minute' });
    }
    streams += 1;
    c.header('cache-control', 'no-store');
    c.header('x-accel-buffering', 'no');
    return streamSSE(
      c,
      async (stream) => {
        try {
          const started = Date.now();
          let lastKey = '';
          let lastWrite = Date.now();
          let id = 0;
          while (!stream.aborted && Date.now() - started < streamMaxMs) {
            const snap = await snapshot();
            if (snap.key !== lastKey) {
              lastKey = snap.key;
              await stream.writeSSE({
                event: 'update',
                id: String(++id),
                data: JSON.stringify(redact(snap.data)),
              });
              lastWrite = Date.now();
            }
            if (snap.ended) {
              await stream.writeSSE({ event: 'end', data: '{}' });
              return;
            }
            if (Date.now() - lastWrite >= PING_MS) {
              await stream.writeSSE({ event: 'ping', data: '{}' });
              lastWrite = Date.now();
            }
            await stream.sleep(pollMs);
          }
        } finally {
          streams -= 1;
        }
      },
      async (err, stream) => {
        logger.warn({ err }, 'watch: a live stream failed');
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ error: 'the store could not be read' }),
        });
      },
    );
  };

  const runsSnapshot = shared(pollMs, async () => {
    const rows = await data.runs({ limit: 50 });
    // Durations grow by themselves: the key holds what only the factory changes.
    const key = JSON.stringify(
      rows.map((r) => [r.runId, r.status, r.steps, r.currentStep, r.pr, r.cost.calls]),
    );
    return { key, data: { runs: rows }, ended: false };
  });
  app.get('/api/runs/live', (c) => {
    parseQuery(c, NoQuerySchema);
    return live(c, runsSnapshot);
  });

  const runSnapshots = new Map<string, () => Promise<{ key: string; data: unknown; ended: boolean }>>();
  app.get('/api/runs/:id/live', async (c) => {
    const id = runId(c);
    parseQuery(c, NoQuerySchema);
    if (!(await options.reader.getRun(id))) throw new HTTPException(404, { message: `no run ${id}` });
    let snapshot = runSnapshots.get(id);
    if (!snapshot) {
      snapshot = shared(pollMs, async () => {
        const t = await data.timeline(id);
        if (!t) return { key: 'gone', data: { run: null }, ended: true };
        const events = t.steps.reduce(
          (n, s) => n + s.modelCalls.length + s.toolCalls.length + s.commands.length + s.notes.length,
          0,
        );
        const key = JSON.stringify([
          t.run.status,
          t.steps.map((s) => `${s.name}:${s.status}`),
          events,
          t.ledger.calls,
        ]);
        const ended = t.run.status !== 'running' && t.run.status !== 'stalled';
        return {
          key,
          data: {
            run: t.run,
            steps: t.steps.map((s) => ({ name: s.name, status: s.status, durationMs: s.durationMs })),
          },
          ended,
        };
      });
      runSnapshots.set(id, snapshot);
      // Forget snapshots of runs nobody follows any more (bounded map on a public server).
      if (runSnapshots.size > 500) runSnapshots.delete(runSnapshots.keys().next().value!);
    }
    return live(c, snapshot);
  });

  // ── runs ──
  const runsOf = async (c: Context): Promise<{ rows: RunRow[]; query: z.output<typeof RunsQuerySchema> }> => {
    const query = parseQuery(c, RunsQuerySchema);
    return { rows: redact(await data.runs(query)), query };
  };
  app.get('/api/runs', async (c) => c.json({ runs: (await runsOf(c)).rows }));
  app.get('/fragments/runs', async (c) => fragment(c, runsTable((await runsOf(c)).rows)));
  app.get('/', async (c) => {
    const { rows, query } = await runsOf(c);
    return renderPage(c, {
      title: 'Runs',
      section: 'runs',
      json: `/api/runs${queryString({ status: query.status, issue: query.issue, limit: query.limit })}`,
      body: runsBody(rows, query),
    });
  });

  // ── one run ──
  const timelineOf = async (c: Context): Promise<RunTimeline> => {
    const id = runId(c);
    parseQuery(c, NoQuerySchema);
    const timeline = await data.timeline(id);
    if (!timeline) throw new HTTPException(404, { message: `no run ${id}` });
    return redact(timeline);
  };
  app.get('/api/runs/:id', async (c) => c.json(await timelineOf(c)));
  app.get('/fragments/runs/:id', async (c) => fragment(c, timelineBody(await timelineOf(c))));
  app.get('/runs/:id', async (c) => {
    const timeline = await timelineOf(c);
    return renderPage(c, {
      title: `Issue #${timeline.run.issue}`,
      section: 'run',
      json: `/api/runs/${timeline.run.runId}`,
      body: runBody(timeline),
    });
  });

  // ── merges, spend, scoreboard ──
  app.get('/api/merges', async (c) => {
    parseQuery(c, NoQuerySchema);
    return c.json(redact(await data.merges()));
  });
  app.get('/api/spend', async (c) => {
    const { days } = parseQuery(c, SpendQuerySchema);
    return c.json(redact(await data.spend(days ?? 14)));
  });
  app.get('/merges', async (c) => {
    parseQuery(c, NoQuerySchema);
    const [merges, spend] = await Promise.all([data.merges(), data.spend(14)]);
    return renderPage(c, {
      title: 'Merges & spend',
      section: 'merges',
      json: '/api/merges',
      body: mergesBody(redact(merges), redact(spend)),
    });
  });
  app.get('/api/scoreboard', async (c) => {
    parseQuery(c, NoQuerySchema);
    return c.json(redact(await data.scoreboard()));
  });
  app.get('/scoreboard', async (c) => {
    parseQuery(c, NoQuerySchema);
    return renderPage(c, {
      title: 'Scoreboard',
      section: 'scoreboard',
      json: '/api/scoreboard',
      body: scoreboardBody(redact(await data.scoreboard())),
    });
  });

  app.get('/api', (c) =>
    c.json({
      endpoints: [
        '/api/runs?status=&issue=&limit=',
        '/api/runs/live',
        '/api/runs/:id',
        '/api/runs/:id/live',
        '/api/merges',
        '/api/spend?days=',
        '/api/scoreboard',
      ],
    }),
  );

  // ── errors: a readable message, the status it deserves, never a crash ──
  app.notFound((c) => {
    const message = `nothing at ${c.req.path.slice(0, 200)}`;
    if (wantsJson(c)) return c.json({ error: message }, 404);
    return loadAssets().then(
      ({ version }) => c.html(errorPage({ status: 404, message, assets: version }), 404),
      () => c.text(message, 404),
    );
  });
  app.onError(async (err, c) => {
    let status: ContentfulStatusCode = 500;
    let message = 'the watch page failed; the error is in the server log';
    if (err instanceof HTTPException) {
      status = err.status as ContentfulStatusCode;
      message = err.message;
    } else if (isFactoryError(err, 'store_error')) {
      status = 503;
      message = 'the factory store cannot be read right now; try again in a moment';
      logger.warn({ err }, 'watch: store unavailable');
    } else {
      logger.error({ err, path: c.req.path }, 'watch: request failed');
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (status === 405) c.header('allow', 'GET, HEAD');
    if (wantsJson(c) || c.req.path.startsWith('/fragments/')) return c.json({ error: message }, status);
    try {
      const { version } = await loadAssets();
      return c.html(errorPage({ status, message, assets: version }), status);
    } catch {
      return c.text(message, status);
    }
  });

  return app;
}

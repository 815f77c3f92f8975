import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isFactoryError } from '../errors.ts';
import { RunIdSchema, type RunReader, RunStateSchema } from './types.ts';

/**
 * The owner's read-only window on an embedded store, so `pnpm factory status` works while `loop`
 * holds it. 127.0.0.1 only, a bearer token from owner.json (mode 0600), GET only, every route and
 * query validated (unknown parameters are refused).
 *
 *   GET /runs?issue=&state=&limit=   GET /runs/:id   GET /runs/:id/steps
 *   GET /runs/:id/events?step=&kind=   GET /runs/:id/cost   GET /runs/:id/ledger   GET /cost?since=<ISO time>
 */

const IntParam = z
  .string()
  .regex(/^\d{1,9}$/, 'a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive());

const RunsQuery = z.strictObject({
  issue: IntParam.optional(),
  state: RunStateSchema.optional(),
  limit: IntParam.pipe(z.number().max(1000)).optional(),
});
const EventsQuery = z.strictObject({
  step: z.string().min(1).max(100).optional(),
  kind: z.enum(['model_call', 'tool_call', 'command', 'note']).optional(),
});
const CostQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
});
const NoQuery = z.strictObject({});

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function query<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) throw new HttpError(400, `query parameter ${key} given twice`);
    raw[key] = value;
  }
  const res = schema.safeParse(raw);
  if (!res.success) throw new HttpError(400, z.prettifyError(res.error));
  return res.data;
}

async function route(reader: RunReader, url: URL): Promise<unknown> {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] === 'runs' && parts.length === 1) {
    return reader.listRuns(query(RunsQuery, url.searchParams));
  }
  if (parts[0] === 'cost' && parts.length === 1) {
    return reader.costSince(query(CostQuery, url.searchParams).since);
  }
  if (parts[0] === 'runs' && parts.length <= 3) {
    const id = parts[1] ?? '';
    if (!RunIdSchema.safeParse(id).success) throw new HttpError(400, `not a run id: ${id.slice(0, 64)}`);
    const sub = parts[2];
    if (sub === 'events') return reader.events(id, query(EventsQuery, url.searchParams));
    query(NoQuery, url.searchParams);
    if (sub === undefined) {
      const run = await reader.getRun(id);
      if (!run) throw new HttpError(404, `no run ${id}`);
      return run;
    }
    if (sub === 'steps') return reader.steps(id);
    if (sub === 'cost') return reader.runCost(id);
    if (sub === 'ledger') return reader.ledger(id);
  }
  throw new HttpError(404, `no route ${url.pathname}`);
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startStatusServer(
  reader: RunReader,
  options: { token: string; logger: Logger },
): Promise<StatusServer> {
  const log = options.logger;
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(text);
    };
    if (!authorized(req.headers.authorization, options.token))
      return send(401, { error: 'missing or wrong token' });
    if (req.method !== 'GET') return send(405, { error: 'read-only: GET only' });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    route(reader, url).then(
      (body) => send(200, body),
      (err: unknown) => {
        if (err instanceof HttpError) return send(err.status, { error: err.message });
        log.error({ err, path: url.pathname }, 'status endpoint failed');
        send(500, { error: (err as Error).message, code: isFactoryError(err) ? err.code : 'internal' });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Never keeps the owner alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  log.info({ url }, 'factory status endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

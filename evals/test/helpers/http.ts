import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, serveHttp } from '@dark-factory/kit/testing';

export interface TestServer {
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (random port) answering with `handle`. */
export async function startServer(
  handle: (req: { method: string; url: string; body: unknown }, res: ServerResponse) => void | Promise<void>,
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = await serveHttp(
    async (req, res) => {
      const text = await readBody(req);
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the raw text
      }
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(entry);
      await handle(entry, res);
    },
    { onError: (err, res) => json(res, 500, { error: String(err) }) },
  );
  return { url: server.url, requests, close: server.close };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

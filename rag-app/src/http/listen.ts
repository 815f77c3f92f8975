import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AppEnv } from './context.ts';

export interface HttpServer {
  url: string;
  port: number;
  server: ServerType;
  close(): Promise<void>;
}

/** The URL a person can open: a wildcard bind is reached through localhost. */
export function publicUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Listens on host:port (port 0 picks a free one) and resolves once the socket is bound. */
export function startServer(app: Hono<AppEnv>, options: { port: number; host: string }): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port, hostname: options.host },
      (info: AddressInfo) => {
        server.off('error', reject);
        resolve({
          url: publicUrl(options.host, info.port),
          port: info.port,
          server,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((err) => (err ? fail(err) : done()));
              // Open SSE streams and keep-alive sockets would hold close() forever.
              if ('closeAllConnections' in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once('error', reject);
  });
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';

export interface LocalServer {
  /** `http://127.0.0.1:<port>` plus the path given. */
  url: string;
  port: number;
  /** Ends every open connection (kept-alive ones too) and waits for the server to close. */
  close(): Promise<void>;
}

/**
 * Starts `server` (HTTP or plain TCP) on 127.0.0.1 at a port the system picks. Connections are
 * tracked from here on, so `close()` never waits on a client that keeps its socket open.
 */
export async function listenLocal(server: NetServer, path = ''): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ServeOptions {
  /** Appended to the url (`/v1` for an OpenAI-style base URL). */
  path?: string;
  /** Answers a request whose handler threw, in the shape of the API being faked (default: 500 text). */
  onError?: (err: unknown, res: ServerResponse) => void;
}

/** A real HTTP server on 127.0.0.1 answering with `handle`; a handler that throws answers 500, never hangs. */
export async function serveHttp(
  handle: HttpHandler,
  options: ServeOptions = {},
): Promise<LocalServer & { server: Server }> {
  const onError = options.onError ?? plainError;
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handle(req, res))
      .catch((err: unknown) => {
        // Headers already sent: the reply cannot become an error any more, so cut it.
        if (res.headersSent) res.destroy();
        else onError(err, res);
      });
  });
  return { server, ...(await listenLocal(server, options.path)) };
}

function plainError(err: unknown, res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(`test server: ${String(err)}`);
}

/** The request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

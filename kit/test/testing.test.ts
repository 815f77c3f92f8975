import { Agent, request } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenLocal, readBody, serveHttp } from '../src/testing/index.ts';

// launchChromium is exercised by the browser tests that use it (evals, factory, rag-app): a launch costs seconds.

describe('serveHttp', () => {
  it('answers on 127.0.0.1 with the handler, and 500 from onError when it throws', async () => {
    const local = await serveHttp(
      async (req, res) => {
        if (req.url === '/boom') throw new Error('broken on purpose');
        const body = await readBody(req);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      },
      {
        path: '/v1',
        onError: (err, res) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(err) }));
        },
      },
    );
    try {
      expect(local.url).toBe(`http://127.0.0.1:${local.port}/v1`);
      const ok = await fetch(`${local.url}/echo`, { method: 'POST', body: 'héllo' });
      expect(await ok.json()).toEqual({ method: 'POST', url: '/v1/echo', body: 'héllo' });
      const boom = await fetch(`http://127.0.0.1:${local.port}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.json()).toEqual({ error: 'Error: broken on purpose' });
    } finally {
      await local.close();
    }
    await expect(fetch(`${local.url}/echo`)).rejects.toThrow();
  });

  it('answers a plain 500 by default and cuts a reply whose headers were already sent', async () => {
    const local = await serveHttp((req, res) => {
      if (req.url === '/late') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('half');
        throw new Error('after the headers');
      }
      throw new Error('before the headers');
    });
    try {
      const early = await fetch(`${local.url}/early`);
      expect(early.status).toBe(500);
      expect(await early.text()).toBe('test server: Error: before the headers');
      // The client sees a broken reply (whether before or after the status line), never a hang.
      await expect(fetch(`${local.url}/late`).then((r) => r.text())).rejects.toThrow();
    } finally {
      await local.close();
    }
  });

  it('closes without waiting on a kept-alive connection', async () => {
    const local = await serveHttp((_req, res) => {
      res.end('ok');
    });
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${local.url}/`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    // Without tracking its sockets, server.close() would wait for the agent's idle socket.
    await local.close();
    agent.destroy();
  });
});

describe('listenLocal', () => {
  it('serves a plain TCP server and ends its open sockets on close', async () => {
    const tcp = createTcpServer((socket) => socket.write('hello\n'));
    const local = await listenLocal(tcp);
    const { connect } = await import('node:net');
    const client = connect(local.port, '127.0.0.1');
    const greeting = await new Promise<string>((resolve) => client.once('data', (d) => resolve(String(d))));
    expect(greeting).toBe('hello\n');
    const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await local.close();
    await ended;
    expect(tcp.listening).toBe(false);
  });

  it('rejects when the server cannot listen', async () => {
    const tcp = createTcpServer();
    await listenLocal(tcp);
    await expect(listenLocal(tcp)).rejects.toThrow();
    await new Promise((resolve) => tcp.close(resolve));
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './http-post.js';

describe('postWebhook', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/hang') return;
        if (req.url === '/redirect') return res.writeHead(302, { Location: '/elsewhere' }).end();
        if (req.url === '/busy') return res.writeHead(429, { 'Retry-After': '7' }).end('slow down');
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const post = (path: string, timeoutMs = 2000) =>
    postWebhook((u, i) => fetch(u, i), `${base}${path}`, '{}', { 'Content-Type': 'application/json' }, timeoutMs);

  it('reports the status, Retry-After and a snippet of the answer', async () => {
    expect(await post('/ok')).toMatchObject({ kind: 'response', status: 204 });
    expect(await post('/busy')).toEqual({ kind: 'response', status: 429, retryAfter: '7', bodySnippet: 'slow down' });
  });

  it('does not follow redirects (the signature is for this URL)', async () => {
    expect(await post('/redirect')).toMatchObject({ kind: 'response', status: 302 });
  });

  it('times out a receiver that never answers, and names a refused connection', async () => {
    expect(await post('/hang', 300)).toEqual({ kind: 'timeout' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await postWebhook((u, i) => fetch(u, i), `http://127.0.0.1:${port}/`, '{}', {}, 2000)).toEqual({ kind: 'network_error', message: 'ECONNREFUSED' });
  });
});

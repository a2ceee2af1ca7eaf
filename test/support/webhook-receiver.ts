/**
 * A local HTTP endpoint that records every webhook request and answers as each test scripts it: by path,
 * with the n-th request's (1-based) response chosen by a function. A `{ hang: true }` reply holds the request
 * without ever answering (until the sender gives up or the receiver closes), like a receiver that hangs.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status the receiver answered with (0 when it hung). */
  status: number;
  /** Held without an answer. */
  hung: boolean;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | { hang: true };

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  on(path: string, reply: (n: number) => Reply): void;
  at(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, (n: number) => Reply>();
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const reply = scripts.get(path)?.(n) ?? { status: 200, body: 'ok' };
      const received = { path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      if ('hang' in reply) {
        requests.push({ ...received, status: 0, hung: true });
        return;
      }
      requests.push({ ...received, status: reply.status, hung: false });
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (path, reply) => void scripts.set(path, reply),
    at: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Hung requests would keep the server open forever.
        server.closeAllConnections();
      }),
  };
}

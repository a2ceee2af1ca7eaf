/** Small HTTP helpers the local servers and fronts share. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Starts a local server on `port` (0 = any free one) and resolves once it listens, or rejects if it cannot. */
export function listenOn(server: { once(event: 'error', listener: (error: Error) => void): unknown; listen(port: number, host: string, callback: () => void): unknown }, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Headers that describe one connection, not the message: a proxy must not pass them on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'host']);

/** The headers a proxy forwards, without hop-by-hop ones and `also` (e.g. a length the proxy sets itself). */
export function withoutHopByHop(headers: IncomingHttpHeaders, also: readonly string[] = []): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name) && !also.includes(name)));
}

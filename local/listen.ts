/** Starts a local server on `port` (0 = any free one) and resolves once it listens, or rejects if it cannot. */
export function listenOn(server: { once(event: 'error', listener: (error: Error) => void): unknown; listen(port: number, host: string, callback: () => void): unknown }, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
